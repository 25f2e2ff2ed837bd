import XML

/// Builds `Element` trees from the parser's events: one tree per entry, handed over as soon
/// as the entry closes, and one tree for everything outside the entries (the feed's own
/// metadata). Memory is bounded by the largest entry, not by the document.
final class TreeBuilder: XMLEventHandler {
    private let documentBase: String?
    private var stack: [Element] = []
    private var entryStart: Int?
    private(set) var root: Element?
    /// Entries begun so far, delivered or still open.
    private(set) var entriesStarted = 0
    var hasOpenEntry: Bool { entryStart != nil }
    /// Set when the root is Atom's `feed`: its unnamespaced children are Atom elements too.
    private var rootIsAtom = false
    private let onEntry: (Element) -> Void
    /// Set once the root element is seen, before any entry is delivered.
    var onRoot: ((Element) -> Void)?

    init(documentBase: String?, onEntry: @escaping (Element) -> Void) {
        self.documentBase = documentBase
        self.onEntry = onEntry
    }

    /// Elements nested deeper than this are flattened into their ancestor: recursion over a
    /// 10 000-deep tree (building, serialising, freeing) would exhaust the stack.
    static let maxDepth = 256
    /// Elements not kept because of `maxDepth`; their text still reaches the ancestor.
    private var skippedDepth = 0
    private(set) var tooDeep = false

    func startElement(localName: String, prefix: String?, namespaceURI: String?, attributes: [XMLAttribute]) {
        if stack.count >= Self.maxDepth {
            skippedDepth += 1
            tooDeep = true
            return
        }
        let parent = stack.last
        var base = parent?.base ?? documentBase
        var language = parent?.language
        for attribute in attributes where attribute.namespaceURI == Namespace.xml {
            if attribute.localName == "base" {
                base = URIResolver.resolve(attribute.value, against: base)
            } else if attribute.localName == "lang" {
                language = attribute.value
            }
        }
        var family = Namespace.family(of: namespaceURI)
        // Elements in an unknown default namespace (a newer or misspelt format URI) are read
        // as the feed's own vocabulary; a prefixed unknown namespace stays foreign.
        if family == .other && prefix == nil { family = .core }
        if family == .core && rootIsAtom { family = .atom }
        let element = Element(
            name: localName, namespaceURI: namespaceURI, family: family, attributes: attributes,
            base: base, language: language)
        if root == nil && localName == "feed" && (family == .atom || family == .core) {
            rootIsAtom = true
        }

        if isEntry(element), !stack.isEmpty {
            if let start = entryStart {
                // An entry inside an entry is never meant: the previous one left an element
                // open (`<br>` in an RSS description) and libxml2 nests the rest of the feed in
                // it. That entry is complete; it goes now, and its open elements stay on the
                // stack only to match libxml2's end tags.
                onEntry(stack[start])
            }
            entryStart = stack.count
            entriesStarted += 1
        } else if let parent {
            parent.append(element)
        }
        if root == nil {
            root = element
            onRoot?(element)
        }
        stack.append(element)
    }

    func endElement() {
        if skippedDepth > 0 {
            skippedDepth -= 1
            return
        }
        guard let element = stack.popLast() else { return }
        if let start = entryStart, stack.count == start {
            entryStart = nil
            onEntry(element)
        }
    }

    func characters(_ text: String) {
        // Text between entries at feed level is only white space; keep it out of the tree.
        guard let top = stack.last else { return }
        if entryStart == nil && stack.count <= 2 && text.isBlank { return }
        top.append(text: text)
    }

    /// Closes what a truncated document left open, so its last entry is not lost.
    func finish() {
        skippedDepth = 0
        while !stack.isEmpty { endElement() }
    }

    /// Forgets the entry being built: libxml2 stopped inside it, so it is incomplete, and an
    /// incomplete entry would be keyed and alerted on with the wrong identity or text.
    func abandonOpenEntry() {
        guard let start = entryStart else { return }
        stack.removeSubrange(start...)
        skippedDepth = 0
        entryStart = nil
    }

    private func isEntry(_ element: Element) -> Bool {
        switch element.family {
        case .core, .atom: return element.name == "item" || element.name == "entry"
        default: return false
        }
    }
}
