import CLibXML2
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
    let attributes: [String: String]
    private(set) var children: [PageNode] = []
    private(set) weak var parent: PageNode?

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

    init(tag: String, text: String = "", attributes: [String: String] = [:]) {
        self.tag = tag
        self.text = text
        self.attributes = attributes
        let joined = [attributes["class"], attributes["id"]].compactMap { $0 }.joined(separator: " ")
        hints = joined.lowercased()
        if tag.isEmpty { (textLength, commas) = Self.measure(text) }
    }

    /// Characters (white space collapsed) and commas of a text, counted on its UTF-8 bytes:
    /// a page has thousands of text nodes, and Unicode property lookups per character were
    /// a tenth of extraction.
    private static func measure(_ text: String) -> (length: Int, commas: Int) {
        var text = text
        return text.withUTF8 { bytes in
            var length = 0, commas = 0, space = true, i = 0
            func next(_ offset: Int) -> UInt8 { i + offset < bytes.count ? bytes[i + offset] : 0 }
            while i < bytes.count {
                let byte = bytes[i]
                var isSpace = false
                var width = 1
                if byte < 0x80 {
                    isSpace = byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
                    if byte == UInt8(ascii: ",") { commas += 1 }
                } else if byte >= 0xC0 {
                    width = byte >= 0xF0 ? 4 : (byte >= 0xE0 ? 3 : 2)
                    switch (byte, next(1), next(2)) {
                    case (0xC2, 0xA0, _), (0xE3, 0x80, 0x80): isSpace = true  // no-break and ideographic spaces
                    case (0xEF, 0xBC, 0x8C), (0xE3, 0x80, 0x81), (0xD8, 0x8C, _): commas += 1  // ， 、 ،
                    default: break
                    }
                }
                if isSpace {
                    if !space { length += 1 }
                    space = true
                } else {
                    length += 1
                    space = false
                }
                i += width
            }
            return (length, commas)
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
            guard run.contains(where: { !$0.isText || !$0.text.allSatisfy(\.isWhitespace) }) else {
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
}

enum PageTree {
    /// Elements whose content is never article text, dropped while copying.
    static let dropped: Set<String> = [
        "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed", "canvas",
        "button", "input", "select", "textarea", "option", "map", "audio", "video", "source", "picture",
        "dialog", "head",
    ]
    /// The attributes the extractor reads; others are not copied.
    static let kept: Set<String> = [
        "class", "id", "href", "role", "itemprop", "itemtype", "hidden", "aria-hidden", "style", "datetime", "content",
        "name", "property", "rel", "lang", "type", "http-equiv", "charset",
    ]
    /// Deeper elements are read as part of their ancestor: recursion over a hostile page must
    /// not exhaust a task's stack.
    static let maxDepth = 200

    /// Parses UTF-8 HTML with libxml2's forgiving parser and copies it out.
    static func build(utf8 bytes: [UInt8]) -> (root: PageNode, head: PageHead) {
        var head = PageHead()
        let root = PageNode(tag: "#document")
        let options = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
            | HTML_PARSE_NONET.rawValue | HTML_PARSE_COMPACT.rawValue
            // The bytes are UTF-8 already; a `<meta charset>` must not make libxml2 decode
            // them again as what the page declared.
            | HTML_PARSE_IGNORE_ENC.rawValue)
        let document: htmlDocPtr? = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    htmlReadMemory($0, Int32(clamping: buffer.count), nil, "UTF-8", options)
                }
            } ?? nil
        }
        guard let document else { return (root, head) }
        defer { xmlFreeDoc(document) }
        var node = document.pointee.children
        while let current = node {
            copy(current, into: root, head: &head, depth: 0)
            node = current.pointee.next
        }
        return (root, head)
    }

    private static func copy(_ node: xmlNodePtr, into parent: PageNode, head: inout PageHead, depth: Int) {
        switch node.pointee.type {
        case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
            guard let content = node.pointee.content else { return }
            parent.append(PageNode(tag: "", text: String(cString: content)))
        case XML_ELEMENT_NODE:
            guard let rawName = node.pointee.name else { return }
            let tag = String(cString: rawName).lowercased()
            var attributes: [String: String] = [:]
            var property = node.pointee.properties
            while let attribute = property {
                property = attribute.pointee.next
                guard let name = attribute.pointee.name.map({ String(cString: $0).lowercased() }), kept.contains(name) else { continue }
                if let value = xmlNodeGetContent(UnsafeMutableRawPointer(attribute).assumingMemoryBound(to: xmlNode.self)) {
                    attributes[name] = String(cString: value)
                    dw_xml_free(value)
                } else {
                    attributes[name] = ""
                }
            }
            readHead(tag, attributes, node, &head)
            if tag == "head" {
                // Read for its metadata; nothing of it is text.
                let scratch = PageNode(tag: "head")
                var child = node.pointee.children
                while let current = child {
                    copy(current, into: scratch, head: &head, depth: depth + 1)
                    child = current.pointee.next
                }
                return
            }
            if dropped.contains(tag) || isHidden(attributes) { return }
            let element = depth < maxDepth ? PageNode(tag: tag, attributes: attributes) : parent
            if element !== parent { parent.append(element) }
            var child = node.pointee.children
            while let current = child {
                copy(current, into: element, head: &head, depth: depth + 1)
                child = current.pointee.next
            }
        default:
            return
        }
    }

    private static func isHidden(_ attributes: [String: String]) -> Bool {
        if attributes["hidden"] != nil || attributes["aria-hidden"] == "true" { return true }
        guard let style = attributes["style"]?.lowercased().filter({ !$0.isWhitespace }) else { return false }
        return style.contains("display:none") || style.contains("visibility:hidden")
    }

    private static func readHead(_ tag: String, _ attributes: [String: String], _ node: xmlNodePtr, _ head: inout PageHead) {
        switch tag {
        case "html":
            if let lang = attributes["lang"], !lang.isEmpty { head.language = head.language ?? lang }
        case "title":
            if head.title == nil { head.title = textContent(node) }
        case "meta":
            guard let content = attributes["content"] else { return }
            for key in [attributes["name"], attributes["property"], attributes["itemprop"], attributes["http-equiv"]] {
                if let key = key?.lowercased(), !key.isEmpty, head.meta[key] == nil { head.meta[key] = content }
            }
        case "link":
            if attributes["rel"]?.lowercased().split(separator: " ").contains("canonical") == true, head.canonical == nil {
                head.canonical = attributes["href"]
            }
        case "script":
            if attributes["type"]?.lowercased().contains("ld+json") == true, let text = textContent(node) {
                head.jsonLD.append(text)
            }
        case "time":
            if head.firstTime == nil, let value = attributes["datetime"], !value.isEmpty { head.firstTime = value }
        default:
            if let property = attributes["itemprop"]?.lowercased(), property == "datepublished", head.meta["datepublished"] == nil,
               let value = attributes["datetime"] ?? attributes["content"] {
                head.meta["datepublished"] = value
            }
        }
    }

    private static func textContent(_ node: xmlNodePtr) -> String? {
        guard let value = xmlNodeGetContent(node) else { return nil }
        defer { dw_xml_free(value) }
        return String(cString: value)
    }
}
