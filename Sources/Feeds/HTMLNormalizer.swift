import XML

/// Re-serialises HTML fragments found in feeds: tag and attribute names lower-cased,
/// attributes sorted and double-quoted, void elements self-closed, comments dropped, and
/// relative URLs in link-bearing attributes resolved against the element's base URI — so a
/// summary's `<a href="story.html">` still works once it is shown outside its feed.
/// Text between tags, entities included, is kept as written.
enum HTMLNormalizer {
    private static let voidElements: Set<String> = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "basefont", "frame", "isindex",
    ]
    private static let uriAttributes: Set<String> = [
        "href", "src", "cite", "longdesc", "usemap", "codebase", "data", "classid",
        "background", "action", "poster", "profile",
    ]

    static func normalise(_ html: String, base: String?) -> String {
        guard html.contains("<") || html.contains("&") else { return html }
        let scalars = Array(html.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "&" {
                i = copyReference(scalars, at: i, into: &out)
                continue
            }
            guard c == "<" else { out.append(c); i += 1; continue }
            // Comment: dropped.
            if starts(scalars, at: i, with: "<!--") {
                if let end = find(scalars, "-->", from: i + 4) { i = end + 3; continue }
                out.append(contentsOf: scalars[i...]); break
            }
            if let tag = parseTag(scalars, at: i) {
                out.append(contentsOf: render(tag, base: base).unicodeScalars)
                i = tag.end
            } else {
                // `<!DOCTYPE`-like declarations and `<?` stay; any other stray `<` is text.
                let next = i + 1 < scalars.count ? scalars[i + 1] : " "
                let after = i + 2 < scalars.count ? scalars[i + 2] : " "
                let keeps = next == "?" || (next == "!" && after.properties.isAlphabetic)
                out.append(contentsOf: (keeps ? "<" : "&lt;").unicodeScalars)
                i += 1
            }
        }
        return String(out)
    }

    private struct Tag {
        var name: String
        var closing: Bool
        var attributes: [(String, String?)]
        var end: Int
    }

    private static func render(_ tag: Tag, base: String?) -> String {
        if tag.closing {
            return voidElements.contains(tag.name) ? "" : "</\(tag.name)>"
        }
        var out = "<" + tag.name
        var seen = Set<String>()
        let attributes = tag.attributes.filter { seen.insert($0.0).inserted }.sorted { $0.0 < $1.0 }
        for (name, value) in attributes {
            var value = value ?? name
            if uriAttributes.contains(name) {
                value = URIResolver.resolve(value, against: base)
            }
            out += " \(name)=\"\(escapeAttribute(value))\""
        }
        out += voidElements.contains(tag.name) ? " />" : ">"
        return out
    }

    /// Escapes `<`, `>` and `"`; an `&` is kept when it starts a reference, escaped otherwise.
    private static func escapeAttribute(_ value: String) -> String {
        var out = ""
        let scalars = Array(value.unicodeScalars)
        for (index, c) in scalars.enumerated() {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "&": out += startsReference(scalars, at: index) ? "&" : "&amp;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Copies the reference at `index` (or escapes a bare `&`), returning the next index.
    /// `&#X61;` becomes `&#x61;`, and references to the C1 range that windows-1252 text
    /// produces (`&#146;`) become the character meant (`&#x2019;`).
    private static func copyReference(_ s: [Unicode.Scalar], at index: Int, into out: inout String.UnicodeScalarView) -> Int {
        guard startsReference(s, at: index) else {
            out.append(contentsOf: "&amp;".unicodeScalars)
            return index + 1
        }
        var end = index + 1
        while s[end] != ";" { end += 1 }
        let body = String(String.UnicodeScalarView(s[(index + 1)..<end]))
        if body.hasPrefix("#") {
            let hex = body.hasPrefix("#x") || body.hasPrefix("#X")
            if let value = UInt32(body.dropFirst(hex ? 2 : 1), radix: hex ? 16 : 10) {
                let mapped = Windows1252.c1Replacement(value) ?? value
                if mapped != value || hex {
                    out.append(contentsOf: "&#x\(String(mapped, radix: 16));".unicodeScalars)
                    return end + 1
                }
            }
        }
        out.append(contentsOf: s[index...end])
        return end + 1
    }

    private static func startsReference(_ s: [Unicode.Scalar], at index: Int) -> Bool {
        var j = index + 1
        var length = 0
        while j < s.count, length < 32 {
            let c = s[j]
            if c == ";" { return length > 0 }
            guard c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "#" else { return false }
            j += 1
            length += 1
        }
        return false
    }

    private static func parseTag(_ s: [Unicode.Scalar], at start: Int) -> Tag? {
        var i = start + 1
        var closing = false
        if i < s.count, s[i] == "/" { closing = true; i += 1 }
        let nameStart = i
        while i < s.count, s[i].properties.isAlphabetic || ("0"..."9").contains(s[i]) || s[i] == ":" || s[i] == "-" {
            i += 1
        }
        guard i > nameStart, s[nameStart].properties.isAlphabetic else { return nil }
        let name = String(String.UnicodeScalarView(s[nameStart..<i])).lowercased()
        var attributes: [(String, String?)] = []
        while i < s.count {
            while i < s.count, s[i].properties.isWhitespace || s[i] == "/" { i += 1 }
            guard i < s.count else { return nil }
            if s[i] == ">" { return Tag(name: name, closing: closing, attributes: attributes, end: i + 1) }
            let attrStart = i
            while i < s.count, !s[i].properties.isWhitespace, s[i] != "=", s[i] != ">", s[i] != "/" { i += 1 }
            let attrName = String(String.UnicodeScalarView(s[attrStart..<i])).lowercased()
            while i < s.count, s[i].properties.isWhitespace { i += 1 }
            var value: String?
            if i < s.count, s[i] == "=" {
                i += 1
                while i < s.count, s[i].properties.isWhitespace { i += 1 }
                if i < s.count, s[i] == "\"" || s[i] == "'" {
                    let quote = s[i]
                    i += 1
                    let valueStart = i
                    while i < s.count, s[i] != quote { i += 1 }
                    guard i < s.count else { return nil }
                    value = String(String.UnicodeScalarView(s[valueStart..<i]))
                    i += 1
                } else {
                    let valueStart = i
                    while i < s.count, !s[i].properties.isWhitespace, s[i] != ">" { i += 1 }
                    value = String(String.UnicodeScalarView(s[valueStart..<i]))
                }
            }
            if !attrName.isEmpty { attributes.append((attrName, value)) }
        }
        return nil
    }

    private static func starts(_ s: [Unicode.Scalar], at i: Int, with prefix: String) -> Bool {
        var j = i
        for c in prefix.unicodeScalars {
            guard j < s.count, s[j] == c else { return false }
            j += 1
        }
        return true
    }

    private static func find(_ s: [Unicode.Scalar], _ needle: String, from start: Int) -> Int? {
        let n = Array(needle.unicodeScalars)
        var i = start
        while i + n.count <= s.count {
            if Array(s[i..<(i + n.count)]) == n { return i }
            i += 1
        }
        return nil
    }
}
