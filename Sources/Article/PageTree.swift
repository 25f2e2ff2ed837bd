import CLibXML2
#if canImport(Glibc)
import Glibc
#endif
import XML

/// One element or run of text of a page, copied out of libxml2's tree into Swift objects so
/// that the extractor can score, move and drop nodes freely; libxml2's document is freed as
/// soon as the copy is made (one owner per C handle: `PageTree.build`).
final class PageNode {
    /// Lower-case element name; empty for text.
    let tag: String
    /// The text of a text node (as written, white space not yet collapsed).
    let text: String
    /// `class` and `id`, lower-cased and joined: what the class/id hints are matched against.
    let hints: String
    /// What the hints say, worked out once (`ClassHints`): blocks are judged several times.
    let isUnlikely: Bool
    let isLikely: Bool
    let classWeight: Double
    /// `role` and `itemprop`, lower-cased: the attributes read after the tree is built.
    let role: String?
    let itemprop: String?
    private(set) var children: [PageNode] = []
    /// `unowned`, not `weak`: a weak reference gives every node a side table and sends each
    /// retain and release down the slow path (a tenth of extraction). A parent outlives its
    /// children while they are in the tree, and `remove` clears the link of a child taken out;
    /// the extractor walks up only from nodes in the tree, so a dead parent is never reached
    /// (and would trap rather than be read).
    private(set) unowned var parent: PageNode?

    // Measures, filled by `measure()` (and again after nodes are removed).
    /// Characters of text inside, white space collapsed.
    var textLength = 0
    /// Characters of text inside links.
    var linkLength = 0
    /// Commas inside (Latin, Chinese and Japanese): readability's sign of running prose.
    var commas = 0
    /// `<p>`-like blocks inside with at least some text.
    var paragraphs = 0

    // Scoring state.
    var score = 0.0
    var isCandidate = false

    var isText: Bool { tag.isEmpty }
    var linkDensity: Double { textLength == 0 ? 0 : Double(linkLength) / Double(textLength) }

    init(tag: String, text: String = "", classNames: String? = nil, id: String? = nil, role: String? = nil, itemprop: String? = nil) {
        self.tag = tag
        self.text = text
        self.role = role?.lowercased()
        self.itemprop = itemprop?.lowercased()
        switch (classNames, id) {
        case (nil, nil): hints = ""
        case (let names?, nil): hints = names.lowercased()
        case (nil, let id?): hints = id.lowercased()
        case (let names?, let id?): hints = (names + " " + id).lowercased()
        }
        let reading = ClassHints.read(hints)
        (isUnlikely, isLikely, classWeight) = (reading.isUnlikely, reading.isLikely, reading.weight)
        if tag.isEmpty { (textLength, commas) = Self.measure(text) }
    }

    /// Characters (white space collapsed) and commas of a text, counted on its UTF-8 bytes:
    /// a page has thousands of text nodes, and Unicode property lookups per character were
    /// a tenth of extraction.
    private static func measure(_ text: String) -> (length: Int, commas: Int) {
        var text = text
        return text.withUTF8 { bytes in
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
    }

    /// `，` (EF BC 8C), `、` (E3 80 81) or `،` (D8 8C) at `index`.
    private static func isComma(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        func at(_ offset: Int) -> UInt8 { index + offset < bytes.count ? bytes[index + offset] : 0 }
        switch (bytes[index], at(1), at(2)) {
        case (0xEF, 0xBC, 0x8C), (0xE3, 0x80, 0x81), (0xD8, 0x8C, _): return true
        default: return false
        }
    }

    func append(_ child: PageNode) {
        child.parent = self
        children.append(child)
    }

    func remove(_ child: PageNode) {
        children.removeAll { $0 === child }
        child.parent = nil
    }

    func detach() { parent?.remove(self) }

    /// Puts each run of inline children (text, links, emphasis…) between block children into
    /// a new `<p>`, so that prose written straight into a container (`text<br>text<div>…`)
    /// is scored like any paragraph. Runs that are only white space are left alone.
    func wrapInlineRuns(isBlock: (PageNode) -> Bool) {
        var regrouped: [PageNode] = []
        var run: [PageNode] = []
        func flush() {
            defer { run.removeAll() }
            guard run.contains(where: { !$0.isText || $0.textLength > 0 }) else {
                regrouped.append(contentsOf: run)
                return
            }
            let paragraph = PageNode(tag: "p")
            paragraph.parent = self
            for node in run { paragraph.append(node) }
            regrouped.append(paragraph)
        }
        for child in children {
            if isBlock(child) { flush(); regrouped.append(child) } else { run.append(child) }
        }
        flush()
        children = regrouped
    }

    /// The first descendant (or self) with this tag, depth first.
    func first(_ tag: String) -> PageNode? {
        if self.tag == tag { return self }
        for child in children where !child.isText {
            if let found = child.first(tag) { return found }
        }
        return nil
    }

    /// Every descendant element, depth first, parents before children.
    func descendants() -> [PageNode] {
        var out: [PageNode] = []
        var stack = children.reversed().filter { !$0.isText }
        while let node = stack.popLast() {
            out.append(node)
            stack.append(contentsOf: node.children.reversed().filter { !$0.isText })
        }
        return out
    }

    /// Recomputes the measures of this subtree, bottom up.
    @discardableResult
    func measure(insideLink: Bool = false) -> (text: Int, link: Int, commas: Int, paragraphs: Int) {
        if isText {
            linkLength = insideLink ? textLength : 0
            return (textLength, linkLength, commas, 0)
        }
        var text = 0, link = 0, commas = 0, paragraphs = 0
        let inLink = insideLink || tag == "a"
        for child in children {
            let m = child.measure(insideLink: inLink)
            text += m.text
            link += m.link
            commas += m.commas
            paragraphs += m.paragraphs
        }
        if (tag == "p" || tag == "pre") && text > 0 { paragraphs += 1 }
        textLength = text
        linkLength = link
        self.commas = commas
        self.paragraphs = paragraphs
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

enum PageTree {
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
    static func build(utf8 bytes: [UInt8], skippingRawText: Bool = true) -> (root: PageNode, head: PageHead) {
        LibXML2.initialize()
        let builder = SAXTreeBuilder()
        builder.skipsRawText = skippingRawText
        var sax = htmlSAXHandler()
        sax.startElement = { context, name, attributes in
            guard let context, let name else { return }
            Unmanaged<SAXTreeBuilder>.fromOpaque(context).takeUnretainedValue().start(name, attributes)
        }
        sax.endElement = { context, _ in
            guard let context else { return }
            Unmanaged<SAXTreeBuilder>.fromOpaque(context).takeUnretainedValue().end()
        }
        sax.characters = { context, text, length in
            guard let context, let text, length > 0 else { return }
            Unmanaged<SAXTreeBuilder>.fromOpaque(context).takeUnretainedValue().text(UnsafeBufferPointer(start: text, count: Int(length)))
        }
        sax.ignorableWhitespace = sax.characters
        // Script and style bodies come as CDATA blocks: kept only for JSON-LD.
        sax.cdataBlock = { context, text, length in
            guard let context, let text, length > 0 else { return }
            Unmanaged<SAXTreeBuilder>.fromOpaque(context).takeUnretainedValue().raw(UnsafeBufferPointer(start: text, count: Int(length)))
        }
        sax.serror = { _, _ in }
        let context = Unmanaged.passRetained(builder)
        defer { context.release() }
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { pointer in
                guard let parser = htmlCreatePushParserCtxt(&sax, context.toOpaque(), nil, 0, nil, XML_CHAR_ENCODING_UTF8) else { return }
                builder.parser = parser
                defer {
                    builder.parser = nil
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
        builder.finish()
        return (builder.root, builder.head)
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

/// Receives libxml2's SAX events for one page and builds the `PageNode` tree and the
/// `PageHead`. Every start has its end (libxml2 closes what a page leaves open), so a stack of
/// what each open element became is enough to undo it.
private final class SAXTreeBuilder {
    let root = PageNode(tag: "#document")
    var head = PageHead()

    /// What an open element became.
    private enum Open {
        case node(PageNode)
        /// Its content is not text (dropped, hidden, or `<head>`): nothing inside becomes a node.
        case skipped
        /// Past `maxDepth`: its content goes to the deepest node.
        case flattened
    }
    private var open: [Open] = []
    private var parents: [PageNode]
    private var skipping = 0
    /// Nodes made so far (`PageTree.maxNodes`).
    private var nodes = 0
    /// Text not yet made a node (libxml2 hands text over in pieces).
    private var pending: [UInt8] = []
    /// Text being collected for the head: a `<title>`, a JSON-LD script.
    private enum Capture { case title, jsonLD }
    private var capture: (kind: Capture, depth: Int, bytes: [UInt8])?

    init() { parents = [root] }

    /// What a name libxml2 hands over stands for. Its parser interns element and attribute
    /// names in its dictionary (the same pointer for the same name, for the whole parse), so
    /// each is made a string and classified once per page, not once per element.
    private struct Interned {
        var string: String
        var attribute: Attributes.Name?
        var isDropped: Bool
        /// `</name`, what ends the element's content when it is raw text (script, style).
        var closing: [UInt8]
    }
    private var interned: [UnsafeRawPointer: Interned] = [:]

    private func intern(_ pointer: UnsafePointer<xmlChar>) -> Interned {
        let key = UnsafeRawPointer(pointer)
        if let known = interned[key] { return known }
        // libxml2's HTML parser lower-cases element and attribute names.
        let string = String(cString: pointer)
        let name = Interned(string: string, attribute: Attributes.Name.bySpelling[string], isDropped: PageTree.dropped.contains(string),
                            closing: Array("</\(string)".utf8))
        interned[key] = name
        return name
    }

    func start(_ rawName: UnsafePointer<xmlChar>, _ rawAttributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
        flushText()
        let name = intern(rawName)
        let tag = name.string
        var attributes = Attributes()
        if var pair = rawAttributes {
            while let attributeName = pair.pointee {
                if let kind = intern(attributeName).attribute {
                    attributes[kind] = (pair + 1).pointee.map { String(cString: $0) } ?? ""
                }
                pair += 2
            }
        }
        readHead(tag, attributes)
        if capture == nil {
            if tag == "title" && head.title == nil { capture = (.title, open.count, []) }
            if tag == "script" && attributes.type?.lowercased().contains("ld+json") == true { capture = (.jsonLD, open.count, []) }
        }
        if skipsRawText && ((tag == "script" && capture?.kind != .jsonLD) || tag == "style") { skipRawText(closedBy: name.closing) }
        if skipping > 0 || tag == "head" || name.isDropped || PageTree.isHidden(attributes) {
            skipping += 1
            open.append(.skipped)
            return
        }
        guard parents.count <= PageTree.maxDepth, nodes < PageTree.maxNodes else {
            open.append(.flattened)
            return
        }
        nodes += 1
        let node = PageNode(tag: tag, classNames: attributes.classNames, id: attributes.id, role: attributes.role, itemprop: attributes.itemprop)
        parents[parents.count - 1].append(node)
        parents.append(node)
        open.append(.node(node))
    }

    func end() {
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

    /// The parser, while it runs: `skipRawText` moves its input on.
    var parser: htmlParserCtxtPtr?
    var skipsRawText = true

    /// Passes over the content of a script or style element that nothing reads, instead of
    /// letting libxml2 read it a character at a time (script and style are half the bytes of
    /// a news page, and most of the parser's time). Called as the start tag is reported, when
    /// libxml2 (2.9) stands on its `>`: the input is moved on to the last byte before the
    /// element's end, where libxml2 itself would end it — the first `</` followed by the
    /// element's name in any case (its recovery rule; to the end of the page if there is
    /// none) — and that byte, which nobody reads, becomes the `>` the parser consumes next.
    /// libxml2 then finds the content empty and reads the end tag. A parser that stands
    /// elsewhere (`<script/>`, another libxml2) is left to read the content itself.
    private func skipRawText(closedBy closing: [UInt8]) {
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

    func text(_ bytes: UnsafeBufferPointer<UInt8>) {
        if capture != nil { capture!.bytes.append(contentsOf: bytes) }
        if skipping == 0 { pending.append(contentsOf: bytes) }
    }

    func raw(_ bytes: UnsafeBufferPointer<UInt8>) {
        if capture?.kind == .jsonLD { capture!.bytes.append(contentsOf: bytes) }
    }

    func finish() {
        flushText()
    }

    private func flushText() {
        guard !pending.isEmpty else { return }
        guard nodes < PageTree.maxNodes else { pending.removeAll(keepingCapacity: true); return }
        nodes += 1
        parents[parents.count - 1].append(PageNode(tag: "", text: String(decoding: pending, as: UTF8.self)))
        pending.removeAll(keepingCapacity: true)
    }

    private func readHead(_ tag: String, _ attributes: Attributes) {
        switch tag {
        case "html":
            if let lang = attributes.lang, !lang.isEmpty { head.language = head.language ?? lang }
        case "meta":
            guard let content = attributes.content else { return }
            for key in [attributes.name, attributes.property, attributes.itemprop, attributes.httpEquiv] {
                if let key = key?.lowercased(), !key.isEmpty, head.meta[key] == nil { head.meta[key] = content }
            }
        case "link":
            if attributes.rel?.lowercased().split(separator: " ").contains("canonical") == true, head.canonical == nil {
                head.canonical = attributes.href
            }
        case "time":
            if head.firstTime == nil, let value = attributes.datetime, !value.isEmpty { head.firstTime = value }
        default:
            if let property = attributes.itemprop?.lowercased(), property == "datepublished", head.meta["datepublished"] == nil,
               let value = attributes.datetime ?? attributes.content {
                head.meta["datepublished"] = value
            }
        }
    }
}
