import CLibXML2
import Feeds
#if canImport(Glibc)
import Glibc
#endif
import XML

/// What an element's name means to the extractor, worked out once per name and page (tag
/// sets were looked up by string for every node, several times per pass).
struct TagFlags: OptionSet {
    let rawValue: UInt32
    /// `BodyExtractor.blockTags`: a block of its own, never inline.
    static let block = TagFlags(rawValue: 1 << 0)
    /// `BodyExtractor.scoredTags`: a block of prose that scores its ancestors.
    static let scored = TagFlags(rawValue: 1 << 1)
    /// `BodyExtractor.boilerplateTags`: navigation, asides, headers and footers.
    static let boilerplate = TagFlags(rawValue: 1 << 2)
    /// `BodyExtractor.conditionalTags`: judged as boilerplate or not inside the article.
    static let conditional = TagFlags(rawValue: 1 << 3)
    static let heading = TagFlags(rawValue: 1 << 4)          // h1–h6
    static let majorHeading = TagFlags(rawValue: 1 << 5)     // h1–h3
    /// A paragraph break when written out: blocks, `<br>`'s cousins `body` and `html`.
    static let breaking = TagFlags(rawValue: 1 << 6)
    /// Never removed as "unlikely" by its class: body, a, article, main.
    static let keepsUnlikely = TagFlags(rawValue: 1 << 7)
    /// Prose written straight into it is wrapped as paragraphs: div, section, article.
    static let container = TagFlags(rawValue: 1 << 8)
    static let paragraph = TagFlags(rawValue: 1 << 9)        // p
    static let preformatted = TagFlags(rawValue: 1 << 10)    // pre
    static let link = TagFlags(rawValue: 1 << 11)            // a
    static let lineBreak = TagFlags(rawValue: 1 << 12)       // br
    static let cell = TagFlags(rawValue: 1 << 13)            // td, th
    static let caption = TagFlags(rawValue: 1 << 14)         // figcaption
    static let image = TagFlags(rawValue: 1 << 15)           // img
    static let listItem = TagFlags(rawValue: 1 << 16)        // li
    static let list = TagFlags(rawValue: 1 << 17)            // ul, ol
    static let div = TagFlags(rawValue: 1 << 18)
    static let body = TagFlags(rawValue: 1 << 19)
    static let h1 = TagFlags(rawValue: 1 << 20)

    init(rawValue: UInt32) { self.rawValue = rawValue }

    init(name: String) {
        var flags: TagFlags = []
        if BodyExtractor.blockTags.contains(name) { flags.insert([.block, .breaking]) }
        if BodyExtractor.scoredTags.contains(name) { flags.insert(.scored) }
        if BodyExtractor.boilerplateTags.contains(name) { flags.insert(.boilerplate) }
        if BodyExtractor.conditionalTags.contains(name) { flags.insert(.conditional) }
        if BodyExtractor.headingTags.contains(name) { flags.insert(.heading) }
        switch name {
        case "br": flags.insert([.lineBreak, .breaking])
        case "body": flags.insert([.body, .breaking, .keepsUnlikely])
        case "html": flags.insert(.breaking)
        case "a": flags.insert([.link, .keepsUnlikely])
        case "main": flags.insert(.keepsUnlikely)
        case "article": flags.insert([.keepsUnlikely, .container])
        case "section": flags.insert(.container)
        case "div": flags.insert([.div, .container])
        case "p": flags.insert(.paragraph)
        case "pre": flags.insert(.preformatted)
        case "td", "th": flags.insert(.cell)
        case "figcaption": flags.insert(.caption)
        case "img": flags.insert(.image)
        case "li": flags.insert(.listItem)
        case "ul", "ol": flags.insert(.list)
        case "h1": flags.insert([.h1, .majorHeading])
        case "h2", "h3": flags.insert(.majorHeading)
        default: break
        }
        self = flags
    }
}

/// A page's elements and runs of text as flat arrays, one index per node: the extractor
/// scores, moves and drops nodes without an object, a reference count or an allocation per
/// node (a tree of objects spent a third of extraction on them). Node 0 is the document; a
/// node's children are a linked list (`firstChild`, `next`), so that dropping one is two
/// links changed. What a node is, where it sits and what it measures are three arrays of
/// small structs, so that making a node is a few appends. A value: a pass that removes nodes
/// works on its own copy.
struct PageTree {
    static let document = 0
    /// No node (a link to nothing).
    static let none = -1

    /// Where a node sits (`none`: no such node).
    private struct Links {
        var parent: Int32 = -1, firstChild: Int32 = -1, lastChild: Int32 = -1, next: Int32 = -1, previous: Int32 = -1
    }
    /// What a node is.
    private struct Content {
        /// Index into `tagNames`/`tagFlags`; 0 is text.
        var tag: UInt16
        /// `role` is one of `BodyExtractor.boilerplateRoles`.
        var hasBoilerplateRole = false
        /// `itemprop="articleBody"`.
        var isArticleBody = false
        /// A text node's bytes: `textBytes[textStart ..< textStart + textCount]`.
        var textStart: Int32 = 0, textCount: Int32 = 0
        /// `class` and `id`, lower-cased and joined (`hintBytes[hintStart ..< hintStart +
        /// hintCount]`): what the class/id hints are matched against.
        var hintStart: Int32 = 0, hintCount: Int32 = 0
    }
    /// Measures, filled by `measure` (and again after nodes are removed): characters of text
    /// inside (white space collapsed), characters inside links, commas (Latin, Chinese and
    /// Japanese: readability's sign of running prose), `<p>`-like blocks with some text.
    private struct Measures {
        var text: Int32 = 0, link: Int32 = 0, commas: Int32 = 0, paragraphs: Int32 = 0
    }

    private var links = [Links()]
    private var content = [Content(tag: 1)]
    private var measures = [Measures()]
    /// What the hints say, worked out once (`ClassHints`): blocks are judged several times.
    private(set) var reading = [ClassHints.Reading()]
    /// Scoring state of a pass (`prepareScoring`).
    var score: [Double] = []
    var isCandidate: [Bool] = []

    // Tables.
    private(set) var tagNames: [String] = ["", "#document", "#other", "p"]
    private(set) var tagFlags: [TagFlags] = [[], [], [], TagFlags(name: "p")]
    private var tagIndices: [String: UInt16] = ["#document": 1, "#other": 2, "p": 3]
    /// Distinct element names kept per page; a page with more (a hostile one: real pages use a
    /// hundred or so) has the rest read as `#other`, which no rule names.
    static let maxTagNames = 4096
    private var hintBytes: [UInt8] = []
    private var textBytes: [UInt8] = []

    var count: Int { content.count }

    func isText(_ node: Int) -> Bool { content[node].tag == 0 }
    func flags(_ node: Int) -> TagFlags { tagFlags[Int(content[node].tag)] }
    func name(_ node: Int) -> String { tagNames[Int(content[node].tag)] }
    func parent(_ node: Int) -> Int { Int(links[node].parent) }
    func firstChild(_ node: Int) -> Int { Int(links[node].firstChild) }
    func lastChild(_ node: Int) -> Int { Int(links[node].lastChild) }
    func next(_ node: Int) -> Int { Int(links[node].next) }
    func previous(_ node: Int) -> Int { Int(links[node].previous) }
    func hasBoilerplateRole(_ node: Int) -> Bool { content[node].hasBoilerplateRole }
    func isArticleBody(_ node: Int) -> Bool { content[node].isArticleBody }
    func textLength(_ node: Int) -> Int { Int(measures[node].text) }
    func linkLength(_ node: Int) -> Int { Int(measures[node].link) }
    func commas(_ node: Int) -> Int { Int(measures[node].commas) }
    func paragraphs(_ node: Int) -> Int { Int(measures[node].paragraphs) }
    func linkDensity(_ node: Int) -> Double { textLength(node) == 0 ? 0 : Double(linkLength(node)) / Double(textLength(node)) }

    private func hintRange(_ node: Int) -> Range<Int> {
        Int(content[node].hintStart)..<Int(content[node].hintStart + content[node].hintCount)
    }
    func hintText(_ node: Int) -> String { String(decoding: hintBytes[hintRange(node)], as: UTF8.self) }
    func hasHints(_ node: Int) -> Bool { content[node].hintCount > 0 }
    /// Whether two elements have the same hints.
    func sameHints(_ one: Int, _ other: Int) -> Bool {
        hintRange(one).count == hintRange(other).count && hintBytes[hintRange(one)].elementsEqual(hintBytes[hintRange(other)])
    }

    /// A text node's text, as written (white space not collapsed).
    func withText<T>(_ node: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        textBytes.withUnsafeBufferPointer { all in
            body(UnsafeBufferPointer(rebasing: all[Int(content[node].textStart)..<Int(content[node].textStart + content[node].textCount)]))
        }
    }

    /// The children of `node`, in order.
    func children(_ node: Int) -> [Int] {
        var out: [Int] = []
        var child = firstChild(node)
        while child != Self.none {
            out.append(child)
            child = next(child)
        }
        return out
    }

    func hasChild(_ node: Int, where test: (Int) -> Bool) -> Bool {
        var child = firstChild(node)
        while child != Self.none {
            if test(child) { return true }
            child = next(child)
        }
        return false
    }

    // MARK: - Making

    /// An element name's index in the tag table (added when new; `#other` once the table
    /// is full).
    mutating func tagIndex(_ name: String) -> UInt16 {
        if let index = tagIndices[name] { return index }
        guard tagNames.count < Self.maxTagNames else { return 2 }
        let index = UInt16(tagNames.count)
        tagNames.append(name)
        tagFlags.append(TagFlags(name: name))
        tagIndices[name] = index
        return index
    }

    /// A new element, not yet in the tree. `classNames` and `id` are its attributes' bytes
    /// (nil: no such attribute).
    mutating func addElement(_ tag: UInt16, classNames: UnsafeBufferPointer<UInt8>? = nil, id: UnsafeBufferPointer<UInt8>? = nil,
                             boilerplateRole: Bool = false, articleBody: Bool = false) -> Int {
        var node = Content(tag: tag, hasBoilerplateRole: boilerplateRole, isArticleBody: articleBody)
        var reading = ClassHints.Reading()
        if classNames != nil || id != nil { (node.hintStart, node.hintCount, reading) = addHints(classNames, id) }
        return add(node, reading: reading, measures: Measures())
    }

    /// A new run of text, not yet in the tree. `bytes` are valid UTF-8.
    mutating func addText(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let start = Int32(textBytes.count)
        textBytes.append(contentsOf: bytes)
        let (length, commas) = Self.measure(bytes)
        return add(Content(tag: 0, textStart: start, textCount: Int32(bytes.count)), reading: ClassHints.Reading(),
                   measures: Measures(text: Int32(length), commas: Int32(commas)))
    }

    private mutating func add(_ node: Content, reading: ClassHints.Reading, measures: Measures) -> Int {
        links.append(Links())
        content.append(node)
        self.reading.append(reading)
        self.measures.append(measures)
        return content.count - 1
    }

    /// `class`, a space and `id` (either alone when the other is missing), lower-cased; what
    /// they say.
    private mutating func addHints(_ classNames: UnsafeBufferPointer<UInt8>?, _ id: UnsafeBufferPointer<UInt8>?)
        -> (start: Int32, count: Int32, reading: ClassHints.Reading) {
        let start = hintBytes.count
        hintBytes.append(contentsOf: classNames ?? UnsafeBufferPointer(start: nil, count: 0))
        if classNames != nil, id != nil { hintBytes.append(UInt8(ascii: " ")) }
        hintBytes.append(contentsOf: id ?? UnsafeBufferPointer(start: nil, count: 0))
        if hintBytes[start...].allSatisfy({ $0 < 0x80 }) {
            for index in start..<hintBytes.count where hintBytes[index] >= 0x41 && hintBytes[index] <= 0x5A { hintBytes[index] |= 0x20 }
        } else {
            // Beyond ASCII, lower case as a string has it (and invalid bytes repaired).
            let lowered = Array(String(decoding: hintBytes[start...], as: UTF8.self).lowercased().utf8)
            hintBytes.replaceSubrange(start..., with: lowered)
        }
        let reading = hintBytes.withUnsafeBufferPointer { ClassHints.read(UnsafeBufferPointer(rebasing: $0[start...])) }
        return (Int32(start), Int32(hintBytes.count - start), reading)
    }

    /// Makes `child` (in no parent) the last child of `node`.
    mutating func append(_ child: Int, to node: Int) {
        let last = links[node].lastChild
        links[child].parent = Int32(node)
        links[child].previous = last
        links[child].next = -1
        if last == -1 { links[node].firstChild = Int32(child) } else { links[Int(last)].next = Int32(child) }
        links[node].lastChild = Int32(child)
    }

    /// Takes `node` out of its parent (with everything inside it).
    mutating func detach(_ node: Int) {
        let owner = links[node].parent
        guard owner != -1 else { return }
        let (previous, next) = (links[node].previous, links[node].next)
        if previous == -1 { links[Int(owner)].firstChild = next } else { links[Int(previous)].next = next }
        if next == -1 { links[Int(owner)].lastChild = previous } else { links[Int(next)].previous = previous }
        links[node].parent = -1
        links[node].next = -1
        links[node].previous = -1
    }

    /// Characters (white space collapsed) and commas of a text, counted on its UTF-8 bytes:
    /// a page has thousands of text nodes, and Unicode property lookups per character were
    /// a tenth of extraction.
    private static func measure(_ bytes: UnsafeBufferPointer<UInt8>) -> (length: Int, commas: Int) {
        var length = 0, commas = 0, space = true, i = 0
        while i < bytes.count {
            let spaceWidth = UTF8Space.width(bytes, at: i)
            if spaceWidth > 0 {
                if !space { length += 1 }
                space = true
                i += spaceWidth
                continue
            }
            let byte = bytes[i]
            let width = byte < 0xC0 ? 1 : (byte >= 0xF0 ? 4 : (byte >= 0xE0 ? 3 : 2))
            if byte == UInt8(ascii: ",") || isComma(bytes, at: i) { commas += 1 }
            length += 1
            space = false
            i += width
        }
        return (length, commas)
    }

    /// `，` (EF BC 8C), `、` (E3 80 81) or `،` (D8 8C) at `index`.
    private static func isComma(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        func at(_ offset: Int) -> UInt8 { index + offset < bytes.count ? bytes[index + offset] : 0 }
        switch (bytes[index], at(1), at(2)) {
        case (0xEF, 0xBC, 0x8C), (0xE3, 0x80, 0x81), (0xD8, 0x8C, _): return true
        default: return false
        }
    }

    // MARK: - Reshaping and reading

    /// Puts each run of inline children (text, links, emphasis…) between block children of
    /// `node` into a new `<p>`, so that prose written straight into a container
    /// (`text<br>text<div>…`) is scored like any paragraph. Runs that are only white space are
    /// left alone.
    mutating func wrapInlineRuns(_ node: Int) {
        let paragraphTag = tagIndex("p")
        let kids = children(node)
        var regrouped: [Int] = []
        var run: [Int] = []
        func flush(_ tree: inout PageTree) {
            defer { run.removeAll() }
            guard run.contains(where: { !tree.isText($0) || tree.textLength($0) > 0 }) else {
                regrouped.append(contentsOf: run)
                return
            }
            let paragraph = tree.addElement(paragraphTag)
            for child in run {
                tree.detach(child)
                tree.append(child, to: paragraph)
            }
            regrouped.append(paragraph)
        }
        for child in kids {
            if flags(child).contains(.block) { flush(&self); regrouped.append(child) } else { run.append(child) }
        }
        flush(&self)
        for child in children(node) { detach(child) }
        for child in regrouped { append(child, to: node) }
    }

    /// Clears the scores for a pass, once the tree has all its nodes.
    mutating func prepareScoring() {
        score = [Double](repeating: 0, count: count)
        isCandidate = [Bool](repeating: false, count: count)
    }

    /// The first element (`node` itself or inside it) with these flags, depth first.
    func first(_ wanted: TagFlags, in node: Int = document) -> Int? {
        if flags(node).isSuperset(of: wanted) && !isText(node) { return node }
        var child = firstChild(node)
        while child != Self.none {
            if !isText(child), let found = first(wanted, in: child) { return found }
            child = next(child)
        }
        return nil
    }

    /// Every element inside `node`, depth first, parents before children.
    func descendants(_ node: Int) -> [Int] {
        var out: [Int] = []
        var stack: [Int] = []
        func pushChildren(_ of: Int) {
            var child = lastChild(of)
            while child != Self.none {
                if !isText(child) { stack.append(child) }
                child = previous(child)
            }
        }
        pushChildren(node)
        while let current = stack.popLast() {
            out.append(current)
            pushChildren(current)
        }
        return out
    }

    /// Recomputes the measures of `node`'s subtree, bottom up.
    @discardableResult
    mutating func measure(_ node: Int, insideLink: Bool = false) -> (text: Int, link: Int, commas: Int, paragraphs: Int) {
        if isText(node) {
            measures[node].link = insideLink ? measures[node].text : 0
            return (textLength(node), linkLength(node), commas(node), 0)
        }
        var text = 0, link = 0, commas = 0, paragraphs = 0
        let flags = flags(node)
        let inLink = insideLink || flags.contains(.link)
        var child = firstChild(node)
        while child != Self.none {
            let m = measure(child, insideLink: inLink)
            text += m.text
            link += m.link
            commas += m.commas
            paragraphs += m.paragraphs
            child = next(child)
        }
        if !flags.isDisjoint(with: [.paragraph, .preformatted]) && text > 0 { paragraphs += 1 }
        measures[node] = Measures(text: Int32(text), link: Int32(link), commas: Int32(commas), paragraphs: Int32(paragraphs))
        return (text, link, commas, paragraphs)
    }
}

/// What a page says outside its body text: read while the tree is built.
struct PageHead {
    var title: String?
    var language: String?
    /// `<meta>` values by lower-cased `name`, `property` or `itemprop`; the first one wins.
    var meta: [String: String] = [:]
    var canonical: String?
    /// The bodies of `<script type="application/ld+json">`.
    var jsonLD: [String] = []
    /// `datetime` of the first `<time>` element.
    var firstTime: String?
    /// Bytes of script and style content passed over unread (`skipRawText`).
    var rawTextSkipped = 0
}

extension PageTree {
    /// Elements whose content is never article text, dropped while the tree is built.
    static let dropped: Set<String> = [
        "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed", "canvas",
        "button", "input", "select", "textarea", "option", "map", "audio", "video", "source", "picture",
        "dialog",
    ]
    /// Deeper elements are read as part of their ancestor: recursion over a hostile page must
    /// not exhaust a task's stack.
    static let maxDepth = 200
    /// Nodes kept of one page; the rest is not read. Real article pages have a few thousand;
    /// a page of 100,000 links took 100 MiB before this cap.
    static let maxNodes = 50_000

    /// Parses UTF-8 HTML with libxml2's forgiving parser, building the tree straight from its
    /// SAX events (libxml2's own tree, then a copy of it, took a third of extraction). The
    /// parser still supplies the implied and auto-closed elements, so the tree is the one its
    /// DOM would have been.
    /// `skippingRawText`: false only to compare with libxml2 reading script and style itself.
    static func build(utf8 bytes: [UInt8], skippingRawText: Bool = true) -> (tree: PageTree, head: PageHead) {
        LibXML2.initialize()
        let bytes = AttributeLimit.apply(bytes) ?? bytes
        // The builder is a struct behind a pointer rather than an object: its tree is mutated
        // on every SAX event, and a class's stored property would be checked for exclusive
        // access each time. Only this function and libxml2's callbacks, on this thread, touch it.
        let builder = UnsafeMutablePointer<SAXTreeBuilder>.allocate(capacity: 1)
        builder.initialize(to: SAXTreeBuilder(skipsRawText: skippingRawText))
        defer { builder.deallocate() }
        var sax = htmlSAXHandler()
        sax.startElement = { context, name, attributes in
            guard let context, let name else { return }
            context.assumingMemoryBound(to: SAXTreeBuilder.self).pointee.start(name, attributes)
        }
        sax.endElement = { context, _ in
            guard let context else { return }
            context.assumingMemoryBound(to: SAXTreeBuilder.self).pointee.end()
        }
        sax.characters = { context, text, length in
            guard let context, let text, length > 0 else { return }
            context.assumingMemoryBound(to: SAXTreeBuilder.self).pointee.text(UnsafeBufferPointer(start: text, count: Int(length)))
        }
        sax.ignorableWhitespace = sax.characters
        // Script and style bodies come as CDATA blocks: kept only for JSON-LD.
        sax.cdataBlock = { context, text, length in
            guard let context, let text, length > 0 else { return }
            context.assumingMemoryBound(to: SAXTreeBuilder.self).pointee.raw(UnsafeBufferPointer(start: text, count: Int(length)))
        }
        sax.serror = { _, _ in }
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { pointer in
                guard let parser = htmlCreatePushParserCtxt(&sax, builder, nil, 0, nil, XML_CHAR_ENCODING_UTF8) else { return }
                builder.pointee.parser = parser
                defer {
                    builder.pointee.parser = nil
                    // As in XMLStreamParser: libxml2 may leave a document of its own behind.
                    if let document = parser.pointee.myDoc { xmlFreeDoc(document); parser.pointee.myDoc = nil }
                    htmlFreeParserCtxt(parser)
                }
                let options = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
                    | HTML_PARSE_NONET.rawValue
                    // The bytes are UTF-8 already; a `<meta charset>` must not make libxml2
                    // decode them again as what the page declared.
                    | HTML_PARSE_IGNORE_ENC.rawValue)
                htmlCtxtUseOptions(parser, options)
                _ = htmlParseChunk(parser, pointer, Int32(clamping: buffer.count), 1)
            }
        }
        builder.pointee.finish()
        let built = builder.move()
        return (built.tree, built.head)
    }

    static func isHidden(_ attributes: Attributes) -> Bool {
        if attributes.hidden != nil || attributes.ariaHidden == "true" { return true }
        guard let style = attributes.style else { return false }
        // Compared on bytes, white space and case ignored ("display: none").
        let compact = style.utf8.filter { $0 > 0x20 }.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        func has(_ word: String) -> Bool {
            let needle = Array(word.utf8)
            guard compact.count >= needle.count else { return false }
            return (0...(compact.count - needle.count)).contains { compact[$0..<($0 + needle.count)].elementsEqual(needle) }
        }
        return has("display:none") || has("visibility:hidden")
    }
}

/// The attributes of a start tag that the extractor reads; the others are never made strings.
struct Attributes {
    enum Name: CaseIterable {
        case `class`, id, role, itemprop, hidden, ariaHidden, style, datetime, content, name, property, rel, lang, type,
             httpEquiv, href

        var spelling: String {
            switch self {
            case .ariaHidden: "aria-hidden"
            case .httpEquiv: "http-equiv"
            default: "\(self)"
            }
        }

        static let bySpelling = Dictionary(uniqueKeysWithValues: allCases.map { ($0.spelling, $0) })
    }

    var classNames, id, role, itemprop, hidden, ariaHidden, style, datetime, content, name, property, rel, lang, type,
        httpEquiv, href: String?

    subscript(name: Name) -> String? {
        get { self[keyPath: Self.field(name)] }
        set { self[keyPath: Self.field(name)] = newValue }
    }

    private static func field(_ name: Name) -> WritableKeyPath<Attributes, String?> {
        switch name {
        case .class: \.classNames
        case .id: \.id
        case .role: \.role
        case .itemprop: \.itemprop
        case .hidden: \.hidden
        case .ariaHidden: \.ariaHidden
        case .style: \.style
        case .datetime: \.datetime
        case .content: \.content
        case .name: \.name
        case .property: \.property
        case .rel: \.rel
        case .lang: \.lang
        case .type: \.type
        case .httpEquiv: \.httpEquiv
        case .href: \.href
        }
    }
}

/// Receives libxml2's SAX events for one page and builds the `PageTree` and the `PageHead`.
/// Every start has its end (libxml2 closes what a page leaves open), so a stack of what each
/// open element became is enough to undo it.
private struct SAXTreeBuilder {
    var tree = PageTree()
    var head = PageHead()
    /// The parser, while it runs: `skipRawText` moves its input on.
    var parser: htmlParserCtxtPtr?
    let skipsRawText: Bool

    init(skipsRawText: Bool) { self.skipsRawText = skipsRawText }

    /// What an open element became.
    private enum Open {
        case node(Int)
        /// Its content is not text (dropped, hidden, or `<head>`): nothing inside becomes a node.
        case skipped
        /// Past `maxDepth`: its content goes to the deepest node.
        case flattened
    }
    private var open: [Open] = []
    private var parents: [Int] = [PageTree.document]
    private var skipping = 0
    /// Nodes made so far (`PageTree.maxNodes`).
    private var nodes = 0
    /// Text not yet made a node (libxml2 hands text over in pieces).
    private var pending: [UInt8] = []
    /// Text being collected for the head: a `<title>`, a JSON-LD script.
    private enum Capture { case title, jsonLD }
    private var capture: (kind: Capture, depth: Int, bytes: [UInt8])?

    /// The elements the builder itself treats apart.
    private enum Special { case none, title, script, style, head, html, meta, link, time }

    /// What a name libxml2 hands over stands for. Its parser interns element and attribute
    /// names in its dictionary (the same pointer for the same name, for the whole parse), so
    /// each is read once per page, in a small table of its own keyed by that pointer.
    private struct Interned {
        var attribute: Attributes.Name?
        var isDropped: Bool
        var special: Special
        /// Its index in the tree's tag table, once it has named an element.
        var tag: UInt16?
    }
    private var internKeys = [UnsafeRawPointer?](repeating: nil, count: 256)
    private var internValues = [Interned](repeating: Interned(attribute: nil, isDropped: false, special: .none, tag: nil), count: 256)
    private var internCount = 0

    /// The slot of `pointer`'s name in the table (read there at once: the table may grow).
    private mutating func intern(_ pointer: UnsafePointer<xmlChar>) -> Int {
        let key = UnsafeRawPointer(pointer)
        let mask = internKeys.count - 1
        var slot = Int(truncatingIfNeeded: (UInt(bitPattern: Int(bitPattern: key)) &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
        while let existing = internKeys[slot] {
            if existing == key { return slot }
            slot = (slot + 1) & mask
        }
        if (internCount + 1) * 4 > internKeys.count * 3 {
            growInternTable()
            return intern(pointer)
        }
        // libxml2's HTML parser lower-cases element and attribute names.
        let string = String(cString: pointer)
        let special: Special = switch string {
        case "title": .title
        case "script": .script
        case "style": .style
        case "head": .head
        case "html": .html
        case "meta": .meta
        case "link": .link
        case "time": .time
        default: .none
        }
        let value = Interned(attribute: Attributes.Name.bySpelling[string], isDropped: PageTree.dropped.contains(string),
                             special: special, tag: nil)
        internKeys[slot] = key
        internValues[slot] = value
        internCount += 1
        return slot
    }

    private mutating func growInternTable() {
        let (keys, values) = (internKeys, internValues)
        internKeys = [UnsafeRawPointer?](repeating: nil, count: keys.count * 2)
        internValues = [Interned](repeating: values[0], count: keys.count * 2)
        let mask = internKeys.count - 1
        for (key, value) in zip(keys, values) {
            guard let key else { continue }
            var slot = Int(truncatingIfNeeded: (UInt(bitPattern: Int(bitPattern: key)) &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
            while internKeys[slot] != nil { slot = (slot + 1) & mask }
            internKeys[slot] = key
            internValues[slot] = value
        }
    }

    mutating func start(_ rawName: UnsafePointer<xmlChar>, _ rawAttributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
        flushText()
        let slot = intern(rawName)
        if internValues[slot].tag == nil { internValues[slot].tag = tree.tagIndex(String(cString: rawName)) }
        let name = internValues[slot]
        var attributes = Attributes()
        // `class` and `id` stay bytes: they are only lower-cased into the tree's hints.
        var classNames: UnsafeBufferPointer<UInt8>?, id: UnsafeBufferPointer<UInt8>?
        if var pair = rawAttributes {
            while let attributeName = pair.pointee {
                switch internValues[intern(attributeName)].attribute {
                case .class?: classNames = Self.bytes((pair + 1).pointee)
                case .id?: id = Self.bytes((pair + 1).pointee)
                case let kind?: attributes[kind] = (pair + 1).pointee.map { String(cString: $0) } ?? ""
                case nil: break
                }
                pair += 2
            }
        }
        readHead(name.special, attributes)
        if capture == nil {
            if name.special == .title && head.title == nil { capture = (.title, open.count, []) }
            if name.special == .script && attributes.type?.lowercased().contains("ld+json") == true { capture = (.jsonLD, open.count, []) }
        }
        if skipsRawText && ((name.special == .script && capture?.kind != .jsonLD) || name.special == .style) {
            skipRawText(closedBy: name.special == .script ? Self.scriptEnd : Self.styleEnd)
        }
        if skipping > 0 || name.special == .head || name.isDropped || PageTree.isHidden(attributes) {
            skipping += 1
            open.append(.skipped)
            return
        }
        guard parents.count <= PageTree.maxDepth, nodes < PageTree.maxNodes else {
            open.append(.flattened)
            return
        }
        nodes += 1
        let node = tree.addElement(name.tag ?? 2, classNames: classNames, id: id,
                                   boilerplateRole: attributes.role.map { BodyExtractor.boilerplateRoles.contains($0.lowercased()) } ?? false,
                                   articleBody: attributes.itemprop?.lowercased() == "articlebody")
        tree.append(node, to: parents[parents.count - 1])
        parents.append(node)
        open.append(.node(node))
    }

    /// An attribute's value as bytes (an attribute without one is empty).
    private static func bytes(_ value: UnsafePointer<xmlChar>?) -> UnsafeBufferPointer<UInt8> {
        guard let value else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: value, count: strlen(UnsafeRawPointer(value).assumingMemoryBound(to: CChar.self)))
    }

    mutating func end() {
        flushText()
        guard let last = open.popLast() else { return }
        if let capture, capture.depth == open.count {
            let text = String(decoding: capture.bytes, as: UTF8.self)
            switch capture.kind {
            case .title: head.title = head.title ?? text
            case .jsonLD: head.jsonLD.append(text)
            }
            self.capture = nil
        }
        switch last {
        case .node: parents.removeLast()
        case .skipped: skipping -= 1
        case .flattened: break
        }
    }

    private static let scriptEnd = Array("</script".utf8), styleEnd = Array("</style".utf8)

    /// Passes over the content of a script or style element that nothing reads, instead of
    /// letting libxml2 read it a character at a time (script and style are half the bytes of
    /// a news page, and most of the parser's time). Called as the start tag is reported, when
    /// libxml2 (2.9) stands on its `>`: the input is moved on to the last byte before the
    /// element's end, where libxml2 itself would end it — the first `</` followed by the
    /// element's name in any case (its recovery rule; to the end of the page if there is
    /// none) — and that byte, which nobody reads, becomes the `>` the parser consumes next.
    /// libxml2 then finds the content empty and reads the end tag. A parser that stands
    /// elsewhere (`<script/>`, another libxml2) is left to read the content itself.
    private mutating func skipRawText(closedBy closing: [UInt8]) {
        guard let input = parser?.pointee.input, let start = input.pointee.cur, let end = input.pointee.end,
              start < end, start.pointee == UInt8(ascii: ">") else { return }
        var stop = end
        var cursor = start + 1
        search: while cursor < end, let found = memchr(cursor, Int32(UInt8(ascii: "<")), end - cursor) {
            let at = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self))
            guard end - at >= closing.count else { break }
            for index in 1..<closing.count where at[index] | (index > 1 ? 0x20 : 0) != closing[index] {
                cursor = at + 1
                continue search
            }
            stop = at
            break
        }
        let last = stop - 1
        guard last > start else { return }  // nothing inside
        UnsafeMutablePointer(mutating: last).pointee = UInt8(ascii: ">")
        input.pointee.cur = last
        head.rawTextSkipped += last - start
    }

    mutating func text(_ bytes: UnsafeBufferPointer<UInt8>) {
        if capture != nil { capture!.bytes.append(contentsOf: bytes) }
        if skipping == 0 { pending.append(contentsOf: bytes) }
    }

    mutating func raw(_ bytes: UnsafeBufferPointer<UInt8>) {
        if capture?.kind == .jsonLD { capture!.bytes.append(contentsOf: bytes) }
    }

    mutating func finish() {
        flushText()
    }

    private mutating func flushText() {
        guard !pending.isEmpty else { return }
        guard nodes < PageTree.maxNodes else { pending.removeAll(keepingCapacity: true); return }
        nodes += 1
        // libxml2 hands over UTF-8; should a byte be amiss, it is repaired as a string would be.
        if !UTF8Validation.isValid(pending) { pending = Array(String(decoding: pending, as: UTF8.self).utf8) }
        let node = pending.withUnsafeBufferPointer { tree.addText($0) }
        tree.append(node, to: parents[parents.count - 1])
        pending.removeAll(keepingCapacity: true)
    }

    private mutating func readHead(_ special: Special, _ attributes: Attributes) {
        switch special {
        case .html:
            if let lang = attributes.lang, !lang.isEmpty { head.language = head.language ?? lang }
        case .meta:
            guard let content = attributes.content else { return }
            for key in [attributes.name, attributes.property, attributes.itemprop, attributes.httpEquiv] {
                if let key = key?.lowercased(), !key.isEmpty, head.meta[key] == nil { head.meta[key] = content }
            }
        case .link:
            if attributes.rel?.lowercased().split(separator: " ").contains("canonical") == true, head.canonical == nil {
                head.canonical = attributes.href
            }
        case .time:
            if head.firstTime == nil, let value = attributes.datetime, !value.isEmpty { head.firstTime = value }
        default:
            if let property = attributes.itemprop?.lowercased(), property == "datepublished", head.meta["datepublished"] == nil,
               let value = attributes.datetime ?? attributes.content {
                head.meta["datepublished"] = value
            }
        }
    }
}
