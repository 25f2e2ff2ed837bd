import Foundation
import XML

/// The elements of one document, as flat arrays: the feed's own metadata for the whole
/// parse, and one entry at a time (its nodes are dropped once it is read, so memory is bounded
/// by the largest entry, not by the document).
///
/// Why flat: a tree of objects cost an allocation, a children array and reference counting per
/// node, and a `String` per event; that was a quarter of parsing a feed. Here a node is a small
/// value, the text of every node lies in one byte buffer in document order (so an element's
/// text is one range of it), and names and namespace URIs are kept once per parse.
final class FeedTree {
    struct Node {
        /// Index into `FeedTree.names`; for a text node, -1.
        var name: Int32
        var family: Namespace.Family
        /// Index into `names` of the namespace URI, or -1 (none).
        var namespace: Int32 = -1
        /// The node's attributes: `attributes[firstAttribute ..< firstAttribute + attributeCount]`.
        var firstAttribute: Int32 = 0
        var attributeCount: Int32 = 0
        /// Index into `strings` of the base URI in force (xml:base), or -1.
        var base: Int32 = -1
        /// Index into `strings` of the xml:lang in force, or -1.
        var language: Int32 = -1
        var firstChild: Int32 = -1
        var lastChild: Int32 = -1
        var next: Int32 = -1
        /// The node's text in `text`: for an element, all the text inside it (its descendants'
        /// text nodes are contiguous there); `textEnd` is -1 while the element is open.
        var textStart: Int32
        var textEnd: Int32

        var isText: Bool { name < 0 }
    }

    struct Attribute {
        var name: Int32
        /// Index into `names`, or -1.
        var prefix: Int32
        var namespace: Int32
        /// Where the value's bytes are in `FeedTree`'s attribute text, as libxml2 gave them: a
        /// string is made (and `&#38;` read as `&`) only for a value someone reads, and few are.
        var valueStart: Int32
        var valueEnd: Int32
    }

    /// The arrays, behind a pointer: every event reads and writes them, and as stored
    /// properties of a class each access paid a dynamic exclusivity check (a tenth of
    /// parsing). Safe: the pointer is this object's alone, allocated in `init` and freed in
    /// `deinit`, and a tree is used by one thread at a time (the parse that builds it).
    private struct Storage: ~Copyable {
        var nodes: [Node] = []
        var text = ByteBuffer(capacity: 16 * 1024)
        var attributes: [Attribute] = []
        var attributeText = ByteBuffer(capacity: 1024)
        /// Base URIs and languages, each kept once for the whole parse (never dropped with an
        /// entry: an open element's base may be inherited by a later entry).
        var strings: [String] = []
        var stringIDs: [String: Int32] = [:]
        var names = Names()
        /// Counts the changes to the nodes (added, dropped): what `firstChild`'s index was
        /// built from must still be there.
        var generation = 0
        /// `firstChild`'s index of one parent's children, built at `indexedGeneration`: the
        /// first child element with each field name, or -1. A reader asks some thirty
        /// questions of one entry in a row, and walking its children for each was the largest
        /// part of reading an entry.
        var indexedParent: Int32 = -1
        var indexedGeneration = -1
        var firstByField = [Int32](repeating: -1, count: FieldName.allCases.count)
    }

    private let storage: UnsafeMutablePointer<Storage>

    init() {
        storage = .allocate(capacity: 1)
        storage.initialize(to: Storage())
    }

    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    var nodes: [Node] { _read { yield storage.pointee.nodes } }
    /// How many bytes of text the tree holds.
    var textCount: Int { storage.pointee.text.count }
    var attributes: [Attribute] { _read { yield storage.pointee.attributes } }
    var strings: [String] { _read { yield storage.pointee.strings } }
    var names: Names { _read { yield storage.pointee.names } }

    /// How much of each array a point of the parse had used: what `truncate` goes back to.
    struct Mark {
        fileprivate var nodes: Int
        fileprivate var text: Int
        fileprivate var attributes: Int
        fileprivate var attributeText: Int
        fileprivate var names: Names.Mark
    }

    var mark: Mark {
        Mark(nodes: nodes.count, text: textCount, attributes: attributes.count, attributeText: storage.pointee.attributeText.count,
             names: names.mark)
    }

    /// Forgets every node, byte, attribute and name added after `mark`. No node kept may
    /// refer to one forgotten (the caller unlinks those first), and a name id taken before
    /// may name nothing after.
    func truncate(to mark: Mark) {
        storage.pointee.generation += 1
        storage.pointee.nodes.removeSubrange(mark.nodes...)
        storage.pointee.text.truncate(to: mark.text)
        storage.pointee.attributes.removeSubrange(mark.attributes...)
        storage.pointee.attributeText.truncate(to: mark.attributeText)
        storage.pointee.names.truncate(to: mark.names)
    }

    // MARK: Building

    func addElement(name: Int32, family: Namespace.Family, namespace: Int32, attributes new: [Attribute],
                    base: Int32, language: Int32, parent: Int32?) -> Int32 {
        let s = storage
        s.pointee.generation += 1
        let id = Int32(s.pointee.nodes.count)
        s.pointee.nodes.append(Node(name: name, family: family, namespace: namespace,
                                    firstAttribute: Int32(s.pointee.attributes.count), attributeCount: Int32(new.count),
                                    base: base, language: language, textStart: Int32(s.pointee.text.count), textEnd: -1))
        if !new.isEmpty { s.pointee.attributes.append(contentsOf: new) }
        if let parent { link(id, under: parent) }
        return id
    }

    func close(_ element: Int32) {
        storage.pointee.nodes[Int(element)].textEnd = Int32(storage.pointee.text.count)
    }

    /// Distinct base URIs and languages kept per parse; past this a new one is not kept and
    /// the element keeps the one it inherits (a hostile document could hold millions).
    static let maxStrings = 65_536

    /// The id of a base URI or language, or nil once `maxStrings` distinct ones are kept.
    func string(_ string: String) -> Int32? {
        if let id = storage.pointee.stringIDs[string] { return id }
        guard storage.pointee.strings.count < Self.maxStrings else { return nil }
        let id = Int32(storage.pointee.strings.count)
        storage.pointee.strings.append(string)
        storage.pointee.stringIDs[string] = id
        return id
    }

    func intern(_ name: UnsafePointer<UInt8>) -> Int32 { storage.pointee.names.intern(name) }

    /// Keeps an attribute value's bytes; returns where they are, for `Attribute`.
    func addAttributeValue(_ bytes: UnsafeBufferPointer<UInt8>) -> (start: Int32, end: Int32) {
        let start = Int32(storage.pointee.attributeText.count)
        storage.pointee.attributeText.append(bytes)
        return (start, Int32(storage.pointee.attributeText.count))
    }

    /// An attribute's value as text (`XMLStartTag.value`).
    func value(of attribute: Attribute) -> String { withValue(of: attribute, XMLStartTag.value) }

    /// Calls `body` with an attribute value's bytes, as libxml2 gave them, in place.
    private func withValue<R>(of attribute: Attribute, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        storage.pointee.attributeText.withUnsafeBufferPointer {
            body(UnsafeBufferPointer(rebasing: $0[Int(attribute.valueStart)..<Int(attribute.valueEnd)]))
        }
    }

    /// Appends text to `parent`, extending its last child when that is text (libxml2 delivers
    /// long text in many pieces).
    func addText(_ bytes: UnsafeBufferPointer<UInt8>, to parent: Int32) {
        let s = storage
        let last = s.pointee.nodes[Int(parent)].lastChild
        if last >= 0, s.pointee.nodes[Int(last)].isText, s.pointee.nodes[Int(last)].textEnd == Int32(s.pointee.text.count) {
            s.pointee.text.append(bytes)
            s.pointee.nodes[Int(last)].textEnd = Int32(s.pointee.text.count)
            return
        }
        s.pointee.generation += 1
        let id = Int32(s.pointee.nodes.count)
        let start = Int32(s.pointee.text.count)
        s.pointee.text.append(bytes)
        s.pointee.nodes.append(Node(name: -1, family: .core, textStart: start, textEnd: Int32(s.pointee.text.count)))
        link(id, under: parent)
    }

    private func link(_ child: Int32, under parent: Int32) {
        let s = storage
        let last = s.pointee.nodes[Int(parent)].lastChild
        if last >= 0 { s.pointee.nodes[Int(last)].next = child } else { s.pointee.nodes[Int(parent)].firstChild = child }
        s.pointee.nodes[Int(parent)].lastChild = child
    }

    // MARK: Reading

    func string(_ range: Range<Int>) -> String {
        withBytes(range) { String(decoding: $0, as: UTF8.self) }
    }

    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        storage.pointee.text.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    /// The first child element of `parent` with this name in one of these families: the
    /// arrays are read in place (no `Element` per child, no name string copied), since a
    /// reader asks for some twenty fields of every entry, most of them absent.
    func firstChild(of parent: Int32, named name: FieldName, _ families: Families) -> Int32? {
        let s = storage
        if s.pointee.indexedParent != parent || s.pointee.indexedGeneration != s.pointee.generation { index(parent) }
        let code = name.code
        // The first child of that name; a later one only when its family is not among these.
        var child = s.pointee.firstByField[Int(code)]
        while child >= 0 {
            let node = s.pointee.nodes[Int(child)]
            if !node.isText, families.contains(node.family), s.pointee.names.field(node.name) == code { return child }
            child = node.next
        }
        return nil
    }

    /// Builds `firstChild`'s index of `parent`'s children.
    private func index(_ parent: Int32) {
        let s = storage
        for field in s.pointee.firstByField.indices { s.pointee.firstByField[field] = -1 }
        var child = s.pointee.nodes[Int(parent)].firstChild
        while child >= 0 {
            let node = s.pointee.nodes[Int(child)]
            if !node.isText {
                let field = Int(s.pointee.names.field(node.name))
                if field < s.pointee.firstByField.count, s.pointee.firstByField[field] < 0 { s.pointee.firstByField[field] = child }
            }
            child = node.next
        }
        s.pointee.indexedParent = parent
        s.pointee.indexedGeneration = s.pointee.generation
    }

    /// An attribute of `element` by local name, in no namespace (or in the given family), read
    /// in place like `firstChild`.
    func attribute(of element: Int32, named name: String, family: Namespace.Family?) -> String? {
        findAttribute(of: element, named: name, family: family).map(value(of:))
    }

    /// Whether the attribute (in no namespace) lower-cased is `value`, an ASCII literal; nil
    /// when the element has none. Compared on the bytes, no string made; a value holding a
    /// non-ASCII byte or a reference is lower-cased as a string.
    func attribute(of element: Int32, named name: String, lowercasedIs value: StaticString) -> Bool? {
        guard let attribute = findAttribute(of: element, named: name, family: nil) else { return nil }
        let expected = UnsafeBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount)
        return withValue(of: attribute) { bytes in
            if bytes.contains(where: { $0 >= 0x80 || $0 == UInt8(ascii: "&") }) {
                return XMLStartTag.value(bytes).lowercased() == String(decoding: expected, as: UTF8.self)
            }
            return bytes.count == expected.count && zip(bytes, expected).allSatisfy { byte, wanted in
                (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == wanted
            }
        }
    }

    private func findAttribute(of element: Int32, named name: String, family: Namespace.Family?) -> Attribute? {
        let s = storage
        let node = s.pointee.nodes[Int(element)]
        var index = Int(node.firstAttribute)
        let end = index + Int(node.attributeCount)
        while index < end {
            let attribute = s.pointee.attributes[index]
            index += 1
            guard s.pointee.names[attribute.name] == name else { continue }
            let namespace = attribute.namespace < 0 ? nil : s.pointee.names[attribute.namespace]
            if family == nil ? namespace == nil : Namespace.family(of: namespace) == family { return attribute }
        }
        return nil
    }

    func textRange(of node: Int32) -> Range<Int> {
        let node = nodes[Int(node)]
        return Int(node.textStart)..<(node.textEnd < 0 ? textCount : Int(node.textEnd))
    }
}

/// Names and namespace URIs, each kept once. libxml2 hands over the same pointer for the same
/// name within a parse (its dictionary), so a pointer seen before is found in a small table
/// without making a string; the bytes are compared all the same, so a pointer reused for
/// another name is never mistaken for the first.
///
/// A hostile document can hold millions of distinct names: past `maxShared`, new ones are
/// kept only until the entry that holds them is dropped (`truncate`).
struct Names {
    private(set) var strings: [String] = []
    /// Each name's `FieldName` raw value, or `FieldName.none`: what readers compare.
    private var known: [UInt8] = []
    private var bytes: [[UInt8]] = []
    private var ids: [String: Int32] = [:]
    private var recent = [(UnsafePointer<UInt8>?, Int32)](repeating: (nil, -1), count: 256)
    /// Names below this index are shared by the whole parse; the rest belong to the entry.
    private var shared = 0
    static let maxShared = 4_096

    struct Mark { fileprivate var count: Int }
    var mark: Mark { Mark(count: strings.count) }

    subscript(id: Int32) -> String { strings[Int(id)] }
    func field(_ id: Int32) -> UInt8 { known[Int(id)] }
    func isShared(_ id: Int32) -> Bool { id < shared }

    mutating func intern(_ pointer: UnsafePointer<UInt8>) -> Int32 {
        // A multiplicative hash of the whole pointer: libxml2 packs its names a few bytes
        // apart, so the low bits alone put neighbours ("item", "title") in one slot, where
        // they pushed each other out (a third of lookups missed).
        let slot = Int(truncatingIfNeeded: (UInt64(UInt(bitPattern: pointer)) &* 0x9E37_79B9_7F4A_7C15) >> 56)
        let (seen, id) = recent[slot]
        let length = strlen(pointer)
        if seen == pointer, id < strings.count, matches(pointer, length, bytes[Int(id)]) { return id }
        let name = String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
        let found: Int32
        if let known = ids[name] {
            found = known
        } else {
            found = Int32(strings.count)
            strings.append(name)
            known.append(FieldName.named(name)?.code ?? FieldName.none)
            bytes.append(Array(UnsafeBufferPointer(start: pointer, count: length)))
            if strings.count <= Self.maxShared {
                shared = strings.count
                ids[name] = found
            }
        }
        recent[slot] = (pointer, found)
        return found
    }

    mutating func truncate(to mark: Mark) {
        // Shared names stay: later entries will meet them again.
        let keep = max(mark.count, shared)
        guard keep < strings.count else { return }
        strings.removeSubrange(keep...)
        known.removeSubrange(keep...)
        bytes.removeSubrange(keep...)
        for slot in recent.indices where recent[slot].1 >= keep { recent[slot] = (nil, -1) }
    }

    private func matches(_ pointer: UnsafePointer<UInt8>, _ length: Int, _ known: [UInt8]) -> Bool {
        known.count == length && known.withUnsafeBufferPointer { memcmp($0.baseAddress!, pointer, length) == 0 }
    }
}

/// The local names readers look elements up by. Each name a parse meets is matched against
/// these once, when it is first kept (`Names.intern`), so finding a field among an entry's
/// children compares one byte per child instead of a string (a reader asks for some twenty
/// fields of every entry, most of them absent).
enum FieldName: UInt8, CaseIterable {
    case title, guid, id, link, description, summary, encoded, body, fullitem, content
    case pubDate, published, issued, created, updated, modified, date, lastBuildDate
    case author, creator, name, email, category, subject, enclosure
    case subtitle, tagline, language, channel, ttl, updatePeriod, updateFrequency
    case item, entry, feed, div

    /// The byte `Names` keeps for a name that is none of these.
    static let none: UInt8 = .max
    var code: UInt8 { rawValue }

    /// The field a local name is, spelt as the case is (`pubDate`), or nil.
    static func named(_ name: String) -> FieldName? { byName[name] }
    private static let byName = Dictionary(uniqueKeysWithValues: allCases.map { (String(describing: $0), $0) })
}

/// One element of a `FeedTree`, read by name: enough to read fields and to serialise inline
/// XHTML. A value that refers to its tree; it is read while the entry is delivered and never kept.
///
/// The tree is held unretained (`Unmanaged`) and reached through `withTree`: a strong reference
/// was retained and released by every `Element` made, copied and read (a reader makes some
/// forty per entry), a tenth of reading an entry. Safe because every `Element` lives inside
/// a call that its `TreeBuilder` makes or outlives: entries are read in the builder's
/// `onEntry`, the root while `FeedParser` still holds the builder (`withExtendedLifetime`),
/// and the builder owns the tree.
struct Element {
    private let handle: Unmanaged<FeedTree>
    let id: Int32

    init(tree: FeedTree, id: Int32) {
        handle = .passUnretained(tree)
        self.id = id
    }

    enum Node {
        case element(Element)
        case text(String)
    }

    /// Calls `body` with the tree, not retained for the call (see above).
    @inline(__always)
    private func withTree<R>(_ body: (FeedTree) -> R) -> R { handle._withUnsafeGuaranteedRef(body) }

    private var node: FeedTree.Node { withTree { $0.nodes[Int(id)] } }

    var name: String { withTree { $0.names[$0.nodes[Int(id)].name] } }
    /// Whether this element's local name is `field`: one byte compared, no string.
    func isNamed(_ field: FieldName) -> Bool { withTree { $0.names.field($0.nodes[Int(id)].name) == field.code } }
    var family: Namespace.Family { node.family }
    var namespaceURI: String? {
        withTree { tree in
            let namespace = tree.nodes[Int(id)].namespace
            return namespace < 0 ? nil : tree.names[namespace]
        }
    }
    /// The base URI in force for this element (xml:base resolved against its parent's).
    var base: String? {
        withTree { tree in
            let base = tree.nodes[Int(id)].base
            return base < 0 ? nil : tree.strings[Int(base)]
        }
    }
    /// The xml:lang in force for this element.
    var language: String? {
        withTree { tree in
            let language = tree.nodes[Int(id)].language
            return language < 0 ? nil : tree.strings[Int(language)]
        }
    }

    var attributes: [XMLAttribute] {
        withTree { tree in
            let node = tree.nodes[Int(id)]
            return tree.attributes[Int(node.firstAttribute)..<Int(node.firstAttribute + node.attributeCount)].map { attribute in
                XMLAttribute(localName: tree.names[attribute.name], prefix: attribute.prefix < 0 ? nil : tree.names[attribute.prefix],
                             namespaceURI: attribute.namespace < 0 ? nil : tree.names[attribute.namespace], value: tree.value(of: attribute))
            }
        }
    }

    /// An attribute by local name, in no namespace (or the given one).
    func attribute(_ name: String, family: Namespace.Family? = nil) -> String? {
        withTree { $0.attribute(of: id, named: name, family: family) }
    }

    /// `attribute(name)?.lowercased() == value`, without a string made for the value.
    func attribute(_ name: String, lowercasedIs value: StaticString) -> Bool? {
        withTree { $0.attribute(of: id, named: name, lowercasedIs: value) }
    }

    /// The children in order, text as strings.
    var children: [Node] {
        withTree { tree in
            var out: [Node] = []
            var child = tree.nodes[Int(id)].firstChild
            while child >= 0 {
                let node = tree.nodes[Int(child)]
                out.append(node.isText ? .text(tree.string(tree.textRange(of: child))) : .element(Element(tree: tree, id: child)))
                child = node.next
            }
            return out
        }
    }

    var elementChildren: ElementChildren { ElementChildren(handle: handle, first: node.firstChild) }

    /// The first child element with this name in one of these families.
    func child(_ name: FieldName, _ families: Families) -> Element? {
        withTree { tree in tree.firstChild(of: id, named: name, families).map { Element(tree: tree, id: $0) } }
    }

    /// All text inside, markup ignored.
    var textContent: String { withTree { $0.string($0.textRange(of: id)) } }

    /// Calls `body` with the UTF-8 bytes of `textContent`, in place.
    func withText<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withTree { $0.withBytes($0.textRange(of: id), body) }
    }

    var hasElementChildren: Bool {
        var children = elementChildren.makeIterator()
        return children.next() != nil
    }
}

/// The child elements of one element, in order, without making an array. Its tree is held
/// as `Element`'s is, and safe for the same reason.
struct ElementChildren: Sequence {
    fileprivate let handle: Unmanaged<FeedTree>
    let first: Int32

    struct Iterator: IteratorProtocol {
        fileprivate let handle: Unmanaged<FeedTree>
        var cursor: Int32
        mutating func next() -> Feeds.Element? {
            handle._withUnsafeGuaranteedRef { tree in
                while cursor >= 0 {
                    let id = cursor
                    let node = tree.nodes[Int(id)]
                    cursor = node.next
                    if !node.isText { return Feeds.Element(tree: tree, id: id) }
                }
                return nil
            }
        }
    }

    func makeIterator() -> Iterator { Iterator(handle: handle, cursor: first) }
}
