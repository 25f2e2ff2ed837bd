import XML

/// A small in-memory element, built for one entry (or for the feed's own metadata) at a time
/// while the document streams past: enough structure to read fields by name and to
/// serialise inline XHTML, without ever holding the whole document.
final class Element {
    let name: String
    let family: Namespace.Family
    let namespaceURI: String?
    let attributes: [XMLAttribute]
    /// The base URI in force for this element (xml:base resolved against its parent's).
    let base: String?
    /// The xml:lang in force for this element.
    let language: String?
    private(set) var children: [Node] = []

    enum Node {
        case element(Element)
        case text(String)
    }

    init(name: String, namespaceURI: String?, family: Namespace.Family, attributes: [XMLAttribute], base: String?, language: String?) {
        self.name = name
        self.namespaceURI = namespaceURI
        self.family = family
        self.attributes = attributes
        self.base = base
        self.language = language
    }

    func append(_ child: Element) { children.append(.element(child)) }

    func append(text: String) {
        if case .text(var previous)? = children.last {
            // Take the string out so the append happens in place (libxml2 delivers long
            // text in many pieces; rebuilding it each time would be quadratic).
            children.removeLast()
            previous += text
            children.append(.text(previous))
        } else {
            children.append(.text(text))
        }
    }

    /// An attribute by local name, in no namespace (or the given one).
    func attribute(_ name: String, family: Namespace.Family? = nil) -> String? {
        attributes.first { attribute in
            attribute.localName == name
                && (family == nil ? attribute.namespaceURI == nil : Namespace.family(of: attribute.namespaceURI) == family)
        }?.value
    }

    var elementChildren: [Element] {
        children.compactMap { if case .element(let e) = $0 { return e } else { return nil } }
    }

    /// The first child element with this name in one of these families.
    func child(_ name: String, _ families: Families) -> Element? {
        for case .element(let element) in children where element.name == name && families.contains(element.family) {
            return element
        }
        return nil
    }

    func children(_ name: String, _ families: Families) -> [Element] {
        elementChildren.filter { $0.name == name && families.contains($0.family) }
    }

    /// All text inside, markup ignored.
    var textContent: String {
        var out = ""
        collectText(into: &out)
        return out
    }

    private func collectText(into out: inout String) {
        for child in children {
            switch child {
            case .text(let text): out += text
            case .element(let element): element.collectText(into: &out)
            }
        }
    }

    var hasElementChildren: Bool {
        children.contains { if case .element = $0 { return true } else { return false } }
    }
}
