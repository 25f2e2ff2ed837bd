import CLibXML2
@testable import XML

/// The HTML-to-text conversion as it was, on libxml2's HTML parser: the oracle the byte-level
/// `HTMLText` is compared with.
enum LibXML2HTMLText {
    static func plainText(fromHTML input: String) -> String {
        // NUL is never text (HTML drops it too); libxml2 would stop at it, the fast path keep it.
        var html = input
        var hasNUL = false, hasMarkup = false
        html.withUTF8 { bytes in
            for byte in bytes where byte == 0 || byte == UInt8(ascii: "<") || byte == UInt8(ascii: "&") {
                if byte == 0 { hasNUL = true } else { hasMarkup = true }
            }
        }
        if hasNUL {
            html = String(String.UnicodeScalarView(input.unicodeScalars.filter { $0 != "\u{0}" }))
        }
        // Most titles and many summaries hold no markup at all.
        if !hasMarkup {
            return OracleCollector.normalise(html)
        }
        LibXML2.initialize()
        let collector = OracleCollector()
        var sax = htmlSAXHandler()
        sax.startElement = { context, name, _ in
            guard let context, let name else { return }
            Unmanaged<OracleCollector>.fromOpaque(context).takeUnretainedValue().open(lowercasedName(name))
        }
        sax.endElement = { context, name in
            guard let context, let name else { return }
            Unmanaged<OracleCollector>.fromOpaque(context).takeUnretainedValue().close(lowercasedName(name))
        }
        sax.characters = { context, text, length in
            guard let context, let text, length > 0 else { return }
            Unmanaged<OracleCollector>.fromOpaque(context).takeUnretainedValue()
                .text(UnsafeBufferPointer(start: text, count: Int(length)))
        }
        sax.ignorableWhitespace = sax.characters
        // Script and style bodies arrive as CDATA blocks: ignoring the callback drops them.
        sax.cdataBlock = { _, _, _ in }
        sax.serror = { _, _ in }

        let context = Unmanaged.passRetained(collector)
        defer { context.release() }
        var bytes = Array(html.utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { pointer in
                guard let parser = htmlCreatePushParserCtxt(
                    &sax, context.toOpaque(), nil, 0, nil, XML_CHAR_ENCODING_UTF8)
                else { return }
                defer { htmlFreeParserCtxt(parser) }
                let options = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue
                    | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_NONET.rawValue)
                htmlCtxtUseOptions(parser, options)
                // A fragment belongs in a body: without one, a stray `</title>` or `</head>` at
                // its start makes libxml2 imply a <head> that the rest never leaves, and a
                // hostile title then yields no text at all.
                _ = htmlParseChunk(parser, "<html><body>", 12, 0)
                _ = htmlParseChunk(parser, pointer, Int32(buffer.count), 1)
            }
        }
        return collector.result()
    }

}

private func lowercasedName(_ name: UnsafePointer<xmlChar>) -> String {
    String(cString: name).lowercased()
}

/// Accumulates text from HTML events as UTF-8, collapsing white space as it goes and
/// tracking paragraph boundaries and skipped elements.
private final class OracleCollector {
    private static let skipped: Set<String> = ["script", "style", "noscript", "template", "head", "title", "iframe", "object", "svg", "math"]
    private static let blocks: Set<String> = [
        "p", "div", "section", "article", "header", "footer", "aside", "nav", "main",
        "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "tr",
        "blockquote", "pre", "figure", "figcaption", "hr", "address", "form", "fieldset",
    ]

    private var output: [UInt8] = []
    private var paragraph: [UInt8] = []
    private var pendingSpace = false
    private var skipDepth = 0

    func open(_ tag: String) {
        if Self.skipped.contains(tag) { skipDepth += 1; return }
        if tag == "br" {
            if !paragraph.isEmpty { paragraph.append(0x0A) }
            pendingSpace = false
            return
        }
        if tag == "td" || tag == "th" { pendingSpace = true }
        if Self.blocks.contains(tag) { breakParagraph() }
    }

    func close(_ tag: String) {
        if Self.skipped.contains(tag) { skipDepth = max(0, skipDepth - 1); return }
        if Self.blocks.contains(tag) { breakParagraph() }
    }

    func text(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard skipDepth == 0 else { return }
        // Work on locals: per-byte access to stored properties of a class pays for dynamic
        // exclusivity checks.
        var paragraph = self.paragraph
        var pendingSpace = self.pendingSpace
        self.paragraph = []
        defer {
            self.paragraph = paragraph
            self.pendingSpace = pendingSpace
        }
        func isSpace(at index: Int) -> Int {
            let byte = bytes[index]
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C { return 1 }
            if byte == 0xC2, index + 1 < bytes.count, bytes[index + 1] == 0xA0 { return 2 }  // no-break space
            return 0
        }
        var i = 0
        while i < bytes.count {
            let width = isSpace(at: i)
            if width > 0 {
                pendingSpace = true
                i += width
                continue
            }
            // A run of other bytes is copied in one go.
            var end = i + 1
            while end < bytes.count && isSpace(at: end) == 0 { end += 1 }
            if pendingSpace, let last = paragraph.last, last != 0x0A { paragraph.append(0x20) }
            pendingSpace = false
            paragraph.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<end]))
            i = end
        }
    }

    private func breakParagraph() {
        while paragraph.last == 0x0A { paragraph.removeLast() }
        if !paragraph.isEmpty {
            if !output.isEmpty { output.append(contentsOf: [0x0A, 0x0A]) }
            output.append(contentsOf: paragraph)
            paragraph.removeAll(keepingCapacity: true)
        }
        pendingSpace = false
    }

    func result() -> String {
        breakParagraph()
        return String(decoding: output, as: UTF8.self)
    }

    /// Collapses white space (including no-break spaces) to single spaces and trims.
    static func normalise(_ text: String) -> String {
        let collector = OracleCollector()
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBufferPointer { collector.text(UnsafeBufferPointer($0)) }
        return collector.result()
    }
}
