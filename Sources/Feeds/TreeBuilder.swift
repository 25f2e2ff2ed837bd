import XML

/// Builds a `FeedTree` from the parser's events: each entry is handed over as soon as it
/// closes and then dropped from the tree; everything outside the entries (the feed's own
/// metadata) stays. Memory is bounded by the metadata and the largest entry, not by the document.
///
/// Its state is exempt from dynamic exclusivity checks (`@exclusivity(unchecked)`; they were
/// a tenth of parsing): a builder belongs to one parse on one thread, and its methods are
/// called by `XMLStreamParser`'s callbacks one at a time, never from inside each other; it calls
/// `onEntry` and `onRoot` between its accesses, and they never reach the builder. No two
/// accesses overlap.
final class TreeBuilder: XMLEventHandler {
    let tree = FeedTree()
    private let documentBase: Int32
    /// An open element: its node (`dead` once its entry was handed over) and the base URI and
    /// language in force inside it, which a later element inherits even from a dead one.
    private struct Open {
        var id: Int32
        var base: Int32
        var language: Int32
    }
    @exclusivity(unchecked) private var stack: [Open] = []
    private static let dead: Int32 = -1
    /// Where the open entry sits in `stack`, and the tree before it began.
    @exclusivity(unchecked) private var entryStart: Int?
    @exclusivity(unchecked) private var entryMark: FeedTree.Mark?
    @exclusivity(unchecked) private(set) var root: Element?
    /// Entries begun so far, delivered or still open.
    @exclusivity(unchecked) private(set) var entriesStarted = 0
    var hasOpenEntry: Bool { entryStart != nil }
    /// Set when the root is Atom's `feed`: its unnamespaced children are Atom elements too.
    @exclusivity(unchecked) private var rootIsAtom = false
    private let onEntry: (Element) -> Void
    /// Set once the root element is seen, before any entry is delivered.
    var onRoot: ((Element) -> Void)?
    /// Families of the namespace URIs met, by name id (nil: not worked out yet): each URI is
    /// looked at once. An array, not a dictionary: it is read for every element.
    @exclusivity(unchecked) private var families: [Namespace.Family?] = []
    @exclusivity(unchecked) private var newAttributes: [FeedTree.Attribute] = []

    init(documentBase: String?, onEntry: @escaping (Element) -> Void) {
        self.documentBase = documentBase.flatMap(tree.string) ?? -1
        self.onEntry = onEntry
    }

    /// Elements nested deeper than this are flattened into their ancestor: no reader of the
    /// tree should have to follow 10 000 levels.
    static let maxDepth = 256
    /// Elements not kept because of `maxDepth`; their text still reaches the ancestor.
    @exclusivity(unchecked) private var skippedDepth = 0
    @exclusivity(unchecked) private(set) var tooDeep = false

    func startElement(_ tag: XMLStartTag) {
        if stack.count >= Self.maxDepth {
            skippedDepth += 1
            tooDeep = true
            return
        }
        var (name, namespace, family) = identify(tag)
        let isFirst = root == nil
        if isFirst && tree.names.field(name) == FieldName.feed.code && (family == .atom || family == .core) {
            rootIsAtom = true
        }
        let isEntry = !stack.isEmpty && (family == .core || family == .atom) && isEntryName(name)
        if isEntry {
            if let start = entryStart {
                // An entry inside an entry is never meant: the previous one left an element
                // open (`<br>` in an RSS description) and libxml2 nests the rest of the feed in
                // it. That entry is complete; it goes now, and its open elements stay on the
                // stack, dead, only to match libxml2's end tags.
                onEntry(Element(tree: tree, id: stack[start].id))
                for index in start..<stack.count { stack[index].id = Self.dead }
                if let entryMark { tree.truncate(to: entryMark) }
                // The names the old entry brought may be forgotten with it: look again.
                (name, namespace, family) = identify(tag)
            }
            entryStart = stack.count
            entryMark = tree.mark
            entriesStarted += 1
        }

        let parent = stack.last
        var base = parent?.base ?? documentBase
        var language = parent?.language ?? -1
        readAttributes(of: tag, base: &base, language: &language)
        if !isEntry, let parent, parent.id == Self.dead {
            // Inside an entry handed over already: nothing to keep.
            stack.append(Open(id: Self.dead, base: base, language: language))
            return
        }
        // An entry hangs from no parent: it is read alone and then dropped.
        let element = tree.addElement(name: name, family: family, namespace: namespace, attributes: newAttributes,
                                      base: base, language: language, parent: isEntry ? nil : parent?.id)
        if isFirst {
            let root = Element(tree: tree, id: element)
            self.root = root
            onRoot?(root)
        }
        stack.append(Open(id: element, base: base, language: language))
    }

    /// The tag's attributes into `newAttributes`; `xml:base` and `xml:lang` among them change
    /// the base and language in force.
    private func readAttributes(of tag: XMLStartTag, base: inout Int32, language: inout Int32) {
        // Only when there is something to remove: emptying an empty array still went through
        // a generic replacement, 60 instructions an element.
        if !newAttributes.isEmpty { newAttributes.removeAll(keepingCapacity: true) }
        for index in 0..<tag.attributeCount {
            guard let raw = tag.attribute(at: index) else { continue }
            let namespace = raw.namespaceURI.map(tree.intern) ?? -1
            if namespace >= 0, family(of: namespace) == .xml {
                let value = XMLStartTag.value(raw.value)
                switch String(cString: raw.localName) {
                case "base":
                    base = tree.string(URIResolver.resolve(value, against: base < 0 ? nil : tree.strings[Int(base)])) ?? base
                case "lang":
                    language = tree.string(value) ?? language
                default: break
                }
            }
            let (start, end) = tree.addAttributeValue(raw.value)
            newAttributes.append(FeedTree.Attribute(
                name: tree.intern(raw.localName), prefix: raw.prefix.map(tree.intern) ?? -1, namespace: namespace,
                valueStart: start, valueEnd: end))
        }
    }

    private func isEntryName(_ name: Int32) -> Bool {
        let field = tree.names.field(name)
        return field == FieldName.item.code || field == FieldName.entry.code
    }

    /// The element's name, namespace and vocabulary.
    private func identify(_ tag: XMLStartTag) -> (name: Int32, namespace: Int32, family: Namespace.Family) {
        let name = tree.intern(tag.localName)
        let namespace = tag.namespaceURI.map(tree.intern) ?? -1
        var family = namespace < 0 ? .core : self.family(of: namespace)
        // Elements in an unknown default namespace (a newer or misspelt format URI) are read
        // as the feed's own vocabulary; a prefixed unknown namespace stays foreign.
        if family == .other && tag.prefix == nil { family = .core }
        if family == .core && rootIsAtom { family = .atom }
        return (name, namespace, family)
    }

    func endElement() {
        if skippedDepth > 0 {
            skippedDepth -= 1
            return
        }
        guard let element = stack.popLast()?.id else { return }
        if element != Self.dead { tree.close(element) }
        if let start = entryStart, stack.count == start {
            entryStart = nil
            if element != Self.dead { onEntry(Element(tree: tree, id: element)) }
            if let entryMark { tree.truncate(to: entryMark) }
            entryMark = nil
        }
    }

    func characters(_ text: UnsafeBufferPointer<UInt8>) {
        guard let top = stack.last?.id, top != Self.dead else { return }
        // White space between entries at feed level, or between an entry's fields, is not
        // text anyone reads (an entry is read field by field); keep it out of the tree. It was
        // a text node an item.
        if stack.count <= (entryStart.map { $0 + 1 } ?? 2) && Self.isBlank(text) { return }
        tree.addText(text, to: top)
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
        if let entryMark { tree.truncate(to: entryMark) }
        skippedDepth = 0
        entryStart = nil
        entryMark = nil
    }

    private func family(of namespace: Int32) -> Namespace.Family {
        if Int(namespace) < families.count, let known = families[Int(namespace)] { return known }
        let family = Namespace.family(of: tree.names[namespace])
        // An entry's own names are forgotten with it, and their ids used again.
        if tree.names.isShared(namespace) {
            if families.count <= Int(namespace) { families += repeatElement(nil, count: Int(namespace) + 1 - families.count) }
            families[Int(namespace)] = family
        }
        return family
    }

    /// `String.isBlank` without making a string for ASCII text.
    private static func isBlank(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in text where !(byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)) {
            return byte >= 0x80 && String(decoding: text, as: UTF8.self).isBlank
        }
        return true
    }
}
