import Foundation
import XML

/// The value of a text-bearing element, and whether it is HTML.
struct TextValue {
    /// Trimmed; HTML not normalised yet.
    enum Raw {
        case text(String)
        /// UTF-8 bytes, not a `String`: an entry's body is read as plain text from them and
        /// becomes a `String` only if its HTML is shown, and every `String` made from bytes
        /// checks them again as UTF-8 (these are libxml2's text of a checked document), a few
        /// instructions a byte.
        case html([UInt8])
    }

    var raw: Raw
    /// The base URI in force, for relative links in HTML.
    var base: String?

    /// `value`, made only when read.
    var deferred: DeferredText {
        switch raw {
        case .text(let text): DeferredText(final: text)
        case .html(let html): DeferredText(html: html, base: base)
        }
    }

    /// As shown: HTML normalised (`HTMLNormalizer`).
    var value: String { deferred.value }

    /// The plain text of `value`, read from the HTML as it came: `HTMLText` finds tags,
    /// comments and references where the normaliser does, so the text is the normalised
    /// HTML's (a test compares the two on every entry of the conformance suite; where whole
    /// pages differ, the normaliser is the one losing text) without a normalised copy made
    /// first, which was a fifth of parsing a feed.
    var plainText: String {
        switch raw {
        case .text(let text): HTMLText.plainText(fromHTML: TextConstruct.escape(text, quotes: false))
        case .html(let html): html.withUnsafeBufferPointer(HTMLText.plainText(fromHTMLBytes:))
        }
    }
}

/// Reads text-bearing elements the way feed readers have converged on (feedparser's rules):
/// Atom's `type` and Atom 0.3's `mode` decide between plain text, escaped HTML, inline XHTML
/// and base64; RSS elements are HTML when they hold markup, and naked child elements are
/// serialised back to markup rather than lost.
enum TextConstruct {
    enum Kind {
        case plain, html, xhtml, base64
    }

    /// The value of `element`. `htmlByDefault` is true for RSS descriptions and contents,
    /// which are HTML by convention.
    static func read(_ element: Element, htmlByDefault: Bool = false) -> TextValue {
        let kind = self.kind(of: element, htmlByDefault: htmlByDefault)
        func value(_ text: String, isHTML: Bool) -> TextValue {
            let trimmed = text.trimmedWhitespace
            return TextValue(raw: isHTML ? .html(Array(trimmed.utf8)) : .text(trimmed), base: element.base)
        }
        switch kind {
        case .base64:
            let raw = element.textContent.trimmedWhitespace
            let data = Data(base64Encoded: raw, options: .ignoreUnknownCharacters) ?? Data()
            let decoded = String(decoding: data, as: UTF8.self)
            return value(decoded, isHTML: looksLikeHTML(decoded) || htmlByDefault || declaredHTML(element))
        case .xhtml:
            return value(serialise(xhtmlBody(of: element)), isHTML: true)
        case .html:
            // Atom: escaped HTML wrapped in an element (`<div>&lt;b&gt;…</div>`) — the markup is
            // the text. RSS: naked child elements are the markup.
            if element.family != .atom && element.hasElementChildren { return value(serialise(element.children), isHTML: true) }
            return TextValue(raw: .html(element.withText(trimmedWhitespace)), base: element.base)
        case .plain:
            if element.hasElementChildren { return value(serialise(element.children), isHTML: true) }
            return value(element.textContent, isHTML: false)
        }
    }

    /// `bytes` without leading and trailing white space, as `String.trimmedWhitespace` trims
    /// it: ASCII white space here, and the string's own trimming where a non-ASCII byte (a
    /// no-break space, an ideographic space) stands at either end.
    static func trimmedWhitespace(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }
        var start = 0
        var end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        if start < end, bytes[start] >= 0x80 || bytes[end - 1] >= 0x80 {
            return Array(String(decoding: bytes, as: UTF8.self).trimmedWhitespace.utf8)
        }
        return Array(bytes[start..<end])
    }

    private static func declaredHTML(_ element: Element) -> Bool {
        let type = element.attribute("type")?.lowercased() ?? ""
        return type.contains("html")
    }

    /// How `element`'s value is to be read.
    static func kind(of element: Element, htmlByDefault: Bool) -> Kind {
        let mode = element.attribute("mode")?.lowercased()
        let type = element.attribute("type")?.lowercased().trimmedWhitespace
        if mode == "base64" { return .base64 }
        if mode == "escaped" { return .html }
        switch type {
        case nil, "":
            if mode == "xml" { return .xhtml }
            if element.family == .atom { return element.hasElementChildren ? .xhtml : .plain }
            return htmlByDefault || element.withText(looksLikeHTML) ? .html : .plain
        case "text", "text/plain":
            return mode == "xml" && element.hasElementChildren ? .xhtml : .plain
        case "html", "text/html":
            return .html
        case "xhtml", "application/xhtml+xml":
            return mode == nil && !element.hasElementChildren ? .html : .xhtml
        case let other?:
            if other.hasSuffix("+xml") || other.hasSuffix("/xml") { return .xhtml }
            if other.hasPrefix("text/") { return .plain }
            // Atom 1.0: any other media type is base64-encoded.
            return element.family == .atom && element.attribute("src") == nil ? .base64 : .plain
        }
    }

    /// Atom 1.0 `type="xhtml"` wraps its content in one XHTML `div` that is not part of it.
    private static func xhtmlBody(of element: Element) -> [Element.Node] {
        let isAtom10 = element.namespaceURI == Namespace.atom10
        guard isAtom10 else { return element.children }
        let significant = element.children.filter {
            if case .text(let text) = $0 { return !text.isBlank }
            return true
        }
        if significant.count == 1, case .element(let div) = significant[0],
           div.isNamed(.div), div.family == .xhtml {
            return div.children
        }
        return element.children
    }

    /// Serialises nodes back to markup; namespace declarations and prefixes are dropped, as
    /// HTML consumers expect plain tag names.
    static func serialise(_ nodes: [Element.Node]) -> String {
        var out = ""
        serialise(nodes, into: &out)
        return out
    }

    private static func serialise(_ nodes: [Element.Node], into out: inout String) {
        for node in nodes {
            switch node {
            case .text(let text):
                out += escape(text, quotes: false)
            case .element(let element):
                out += "<" + element.name
                for attribute in element.attributes {
                    let name = attribute.prefix.map { "\($0):\(attribute.localName)" } ?? attribute.localName
                    out += " \(name)=\"\(escape(attribute.value, quotes: true))\""
                }
                out += ">"
                serialise(element.children, into: &out)
                out += "</\(element.name)>"
            }
        }
    }

    /// `text` with `&`, `<`, `>` (and `"` when `quotes`) written as references. Read as UTF-8
    /// bytes (every one of these is a single byte there); text that has none is returned as
    /// it is, which is most text.
    static func escape(_ text: String, quotes: Bool) -> String {
        var text = text
        return text.withUTF8 { bytes in
            func special(_ byte: UInt8) -> Bool {
                byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
                    || (quotes && byte == UInt8(ascii: "\""))
            }
            guard let first = bytes.firstIndex(where: special) else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 16)
            out.append(contentsOf: bytes[..<first])
            for byte in bytes[first...] {
                switch byte {
                case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
                case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
                case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
                case UInt8(ascii: "\"") where quotes: out.append(contentsOf: "&quot;".utf8)
                default: out.append(byte)
                }
            }
            return String(decoding: out, as: UTF8.self)
        } ?? text
    }

    /// True when a string holds HTML markup (a closing tag or a self-closed one), not just a
    /// stray `<` or an ampersand: "Tom & Jerry" in a title is text.
    static func looksLikeHTML(_ text: String) -> Bool {
        var text = text
        return text.withUTF8(looksLikeHTML)
    }

    /// The same for UTF-8 bytes.
    static func looksLikeHTML(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }
        guard let base = bytes.baseAddress else { return false }
        var i = 0
        while i + 2 < bytes.count {
            defer { i += 1 }
            // To the next `<` in one call (a title has none): not a byte at a time.
            guard let found = memchr(base + i, Int32(UInt8(ascii: "<")), bytes.count - 2 - i) else { return false }
            i = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if bytes[i + 1] == UInt8(ascii: "/") && isLetter(bytes[i + 2]) { return true }  // </p>
            guard isLetter(bytes[i + 1]) else { continue }
            // <br/> or <img src="…" />
            var j = i + 1
            while j < bytes.count, bytes[j] != UInt8(ascii: ">"), bytes[j] != UInt8(ascii: "<") { j += 1 }
            if j < bytes.count, bytes[j] == UInt8(ascii: ">"), bytes[j - 1] == UInt8(ascii: "/") { return true }
        }
        return false
    }
}
