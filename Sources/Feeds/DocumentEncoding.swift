import Foundation

/// A document decoded to UTF-8, and how.
struct DecodedDocument {
    /// UTF-8, without a byte-order mark.
    var bytes: [UInt8]
    /// The encoding the bytes were decoded from, in lower case (`utf-8`, `windows-1251`).
    var encoding: String
    /// Set when the document could not be taken as declared: the reason, for `bozo`.
    var problem: String?
}

/// Chooses a document's character encoding the way RFC 7303 and mature feed parsers do, then
/// decodes it to UTF-8 with iconv.
///
/// Order of evidence: the HTTP `charset` (which outranks the document), the XML declaration,
/// the byte-order mark or the byte pattern of `<?xml` in UTF-16/32, then UTF-8. When the
/// chosen encoding cannot decode the bytes, the others are tried, then a guess among the
/// legacy encodings of the sources drillwatch follows (Cyrillic and CJK first), and finally
/// windows-1252; any such override makes the document `bozo`. `text/xml` without a charset
/// follows RFC 7303 (the declaration decides), not RFC 3023's US-ASCII default.
package enum DocumentEncoding {
    static func decode(_ raw: [UInt8], contentType: String?, hasHTTPHeaders: Bool) -> DecodedDocument {
        let (bomEncoding, bomLength) = sniff(raw)
        var declared = declaredEncoding(raw, sniffed: bomEncoding).map(canonical)
        if let bomEncoding, let value = declared, value.hasPrefix("utf-16") || value.hasPrefix("utf-32") {
            declared = bomEncoding
        }
        let (mediaType, httpCharset) = parseContentType(contentType)

        var problem: String?
        var preferred: String?
        if let mediaType {
            let isXMLType = mediaType.hasSuffix("/xml") || mediaType.hasSuffix("+xml")
                || mediaType.hasSuffix("/xml-external-parsed-entity") || mediaType == "application/xml-dtd"
            let isJSON = mediaType.hasSuffix("json")
            if !isXMLType && !isJSON {
                problem = "\(mediaType) is not an XML media type"
            } else if mediaType.hasPrefix("text/"), httpCharset == nil, raw.contains(where: { $0 >= 0x80 }) {
                // RFC 3023 made such text US-ASCII; RFC 7303 lets the document decide, which
                // is what is done, but the document is flagged because older readers differ.
                problem = "\(mediaType) without a charset holds non-ASCII bytes"
            }
            preferred = httpCharset ?? declared ?? bomEncoding ?? "utf-8"
        } else if hasHTTPHeaders {
            problem = "no Content-Type specified"
            // HTTP's old default is ISO-8859-1, but bytes that are valid UTF-8 with non-ASCII
            // in them are, in practice, never Latin-1: reading them as such garbles every
            // non-English word.
            let utf8 = raw.contains(where: { $0 >= 0x80 }) && String(validating: raw, as: UTF8.self) != nil
            preferred = declared ?? bomEncoding ?? (utf8 ? "utf-8" : "iso-8859-1")
        } else {
            preferred = declared ?? bomEncoding ?? "utf-8"
        }

        let body = bomLength > 0 ? Array(raw[bomLength...]) : raw
        var tried: [String] = []
        let candidates = [preferred, declared, bomEncoding, "utf-8"].compactMap { $0 }.map(canonical)
        for candidate in candidates where !tried.contains(candidate) {
            tried.append(candidate)
            if let bytes = convert(body, from: candidate) {
                if candidate != canonical(preferred ?? "utf-8") {
                    problem = problem ?? "document declared as \(preferred ?? "utf-8") but decoded as \(candidate)"
                }
                return DecodedDocument(bytes: bytes, encoding: candidate, problem: problem)
            }
        }
        let guess = LegacyEncodingGuess.best(for: body) ?? "windows-1252"
        if let bytes = convert(body, from: guess) {
            return DecodedDocument(
                bytes: bytes, encoding: guess,
                problem: problem ?? "document is not valid \(tried.first ?? "utf-8"); decoded as \(guess)")
        }
        var replaced = 0
        let lossy = Iconv(from: "UTF-8").flatMap { iconv in
            body.withUnsafeBytes { iconv.convert($0, strict: false, replaced: &replaced) }
        } ?? []
        return DecodedDocument(
            bytes: lossy, encoding: "utf-8",
            problem: problem ?? "document is not valid UTF-8 (\(replaced) bytes replaced)")
    }

    /// Python-style names that feed authors write, mapped to the names drillwatch reports.
    package static func canonical(_ name: String) -> String {
        let lower = name.lowercased()
        switch lower {
        case "gb2312", "gb_2312-80", "x-gbk", "gbk", "euc-cn": return "gb18030"
        case "utf8", "utf_8", "unicode-1-1-utf-8": return "utf-8"
        case "latin1", "latin-1", "iso8859-1", "iso_8859-1", "l1": return "iso-8859-1"
        case "ascii", "us_ascii", "646": return "us-ascii"
        case "cp1252", "x-cp1252": return "windows-1252"
        case "cp1251", "x-cp1251": return "windows-1251"
        case "sjis", "x-sjis", "shift-jis", "ms_kanji": return "shift_jis"
        case "utf_16le": return "utf-16le"
        case "utf_16be": return "utf-16be"
        case "u16", "utf_16", "utf16", "ucs-2", "iso-10646-ucs-2", "csunicode": return "utf-16"
        case "u32", "utf_32", "utf32", "ucs-4", "iso-10646-ucs-4", "csucs4": return "utf-32"
        default: return lower
        }
    }

    /// Decodes strictly; nil when the bytes are not valid in `encoding`.
    package static func convert(_ bytes: [UInt8], from encoding: String) -> [UInt8]? {
        if encoding == "utf-8" {
            return UTF8Validation.isValid(bytes) ? bytes : nil
        }
        guard let iconv = Iconv(from: iconvName(encoding)) else { return nil }
        var replaced = 0
        return bytes.withUnsafeBytes { iconv.convert($0, strict: true, replaced: &replaced) }
    }

    private static func iconvName(_ encoding: String) -> String {
        switch encoding {
        case "us-ascii": return "ASCII"
        case "windows-874", "tis-620": return "TIS-620"
        default: return encoding.uppercased()
        }
    }

    /// The encoding a byte-order mark, or the byte pattern of `<?xm` in UTF-16/32, shows,
    /// and the length of the mark to strip.
    package static func sniff(_ bytes: [UInt8]) -> (String?, Int) {
        let head = Array(bytes.prefix(4)) + [UInt8](repeating: 0xAA, count: max(0, 4 - bytes.count))
        switch (head[0], head[1], head[2], head[3]) {
        case (0xEF, 0xBB, 0xBF, _): return ("utf-8", 3)
        case (0xFF, 0xFE, 0x00, 0x00): return ("utf-32le", 4)
        case (0x00, 0x00, 0xFE, 0xFF): return ("utf-32be", 4)
        case (0xFF, 0xFE, _, _): return ("utf-16le", 2)
        case (0xFE, 0xFF, _, _): return ("utf-16be", 2)
        case (0x00, 0x00, 0x00, 0x3C): return ("utf-32be", 0)
        case (0x3C, 0x00, 0x00, 0x00): return ("utf-32le", 0)
        case (0x00, 0x3C, 0x00, 0x3F): return ("utf-16be", 0)
        case (0x3C, 0x00, 0x3F, 0x00): return ("utf-16le", 0)
        default: return (nil, 0)
        }
    }

    /// The `encoding` pseudo-attribute of the XML declaration, read in the sniffed encoding.
    static func declaredEncoding(_ bytes: [UInt8], sniffed: String?) -> String? {
        var head = Array(bytes.prefix(1024))
        if let sniffed, sniffed != "utf-8" {
            guard let decoded = Iconv(from: sniffed.uppercased()).flatMap({ iconv -> [UInt8]? in
                var replaced = 0
                return head.withUnsafeBytes { iconv.convert($0, strict: false, replaced: &replaced) }
            }) else { return nil }
            head = decoded
        }
        return plainDeclaredEncoding(head) ?? expressionDeclaredEncoding(head)
    }

    /// The declared encoding, found by a regular expression: any declaration.
    static func expressionDeclaredEncoding(_ head: [UInt8]) -> String? {
        let text = String(decoding: head, as: UTF8.self)
        guard let declaration = text.range(of: #"^\W*<\?xml[^>]*?encoding\s*=\s*['"]([A-Za-z0-9._:-]+)['"]"#, options: .regularExpression)
        else { return nil }
        let match = String(text[declaration])
        guard let quote = match.lastIndex(where: { $0 == "\"" || $0 == "'" }) else { return nil }
        let beforeQuote = match[..<quote]
        guard let open = beforeQuote.lastIndex(where: { $0 == "\"" || $0 == "'" }) else { return nil }
        let value = String(beforeQuote[beforeQuote.index(after: open)...]).lowercased()
        return value.isEmpty ? nil : value
    }

    /// The encoding of a declaration written the common way — `<?xml` after an optional BOM and
    /// white space, `encoding`, `=`, a quoted name, before the first `>` — read from the bytes;
    /// nil for anything else, which the regular expression above then reads (it was a fiftieth
    /// of parsing a feed of 50 items, through NSString). Where this finds a value, the
    /// expression finds the same one: its first match is the first `encoding` so written.
    static func plainDeclaredEncoding(_ head: [UInt8]) -> String? {
        head.withUnsafeBufferPointer { b -> String? in
            var i = 0
            if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
            while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
            func matches(_ word: StaticString, at index: Int) -> Bool {
                let count = word.utf8CodeUnitCount
                return index + count <= b.count && (0..<count).allSatisfy { b[index + $0] == word.utf8Start[$0] }
            }
            guard matches("<?xml", at: i) else { return nil }
            var j = i + 5
            while j < b.count, b[j] != UInt8(ascii: ">"), !matches("encoding", at: j) { j += 1 }
            guard matches("encoding", at: j) else { return nil }
            j += "encoding".utf8.count
            func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
            while j < b.count, isSpace(b[j]) { j += 1 }
            guard j < b.count, b[j] == UInt8(ascii: "=") else { return nil }
            j += 1
            while j < b.count, isSpace(b[j]) { j += 1 }
            guard j < b.count, b[j] == UInt8(ascii: "\"") || b[j] == UInt8(ascii: "'") else { return nil }
            let start = j + 1
            var end = start
            while end < b.count, isNameByte(b[end]) { end += 1 }
            guard end > start, end < b.count, b[end] == UInt8(ascii: "\"") || b[end] == UInt8(ascii: "'") else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self).lowercased()
        }
    }

    /// `[A-Za-z0-9._:-]`
    private static func isNameByte(_ c: UInt8) -> Bool {
        let lower = c | 0x20
        return (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
            || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: ":") || c == UInt8(ascii: "-")
    }

    /// (`type/subtype` in lower case, `charset` parameter) of a Content-Type value.
    ///
    /// Trimmed by hand, on HTTP's own whitespace (space and tab): Foundation's
    /// `trimmingCharacters(in:)` with a `CharacterSet` made per call was 2% of the CPU of a
    /// scan of 10,000 feeds, for a header of thirty characters.
    package static func parseContentType(_ value: String?) -> (String?, String?) {
        guard let value, !trimmed(value[...]).isEmpty else { return (nil, nil) }
        let parts = value.split(separator: ";", omittingEmptySubsequences: false)
        var charset: String?
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            if pair.count == 2, trimmed(pair[0]).lowercased() == "charset" {
                let raw = trimmed(pair[1], alsoQuotes: true)
                if !raw.isEmpty { charset = raw.lowercased() }
            }
        }
        return (parts.first.map { trimmed($0).lowercased() }, charset)
    }

    private static func trimmed(_ text: Substring, alsoQuotes: Bool = false) -> Substring {
        let isPadding = { (c: Character) in c == " " || c == "\t" || (alsoQuotes && (c == "\"" || c == "'")) }
        guard let start = text.firstIndex(where: { !isPadding($0) }), let end = text.lastIndex(where: { !isPadding($0) }) else { return "" }
        return text[start...end]
    }
}

/// Strict UTF-8 validation (no overlong forms, no surrogates, nothing past U+10FFFF), fast
/// enough to run over a 100 MB feed: ASCII runs are skipped eight bytes at a time.
package enum UTF8Validation {
    package static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer(isValid)
    }

    package static func isValid(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = buffer.count
        guard let base = buffer.baseAddress else { return true }
        while i < n {
            if i + 8 <= n {
                let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
            }
            let b0 = buffer[i]
            if b0 < 0x80 { i += 1; continue }
            let length: Int
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return false
            }
            guard i + length <= n else { return false }
            let b1 = buffer[i + 1]
            guard b1 >= lower && b1 <= upper else { return false }
            for k in 2..<length where buffer[i + k] & 0xC0 != 0x80 { return false }
            i += length
        }
        return true
    }

    /// Validation of a document that arrives in pieces: a character split between two pieces
    /// is held back until the rest of it comes.
    struct Stream {
        private var pending: [UInt8] = []
        /// False when the bytes so far end inside a character.
        var isComplete: Bool { pending.isEmpty }

        /// False as soon as the bytes are not UTF-8.
        mutating func feed(_ bytes: ArraySlice<UInt8>) -> Bool {
            var start = bytes.startIndex
            if !pending.isEmpty {
                let length = Self.length(of: pending[0])
                let take = min(length - pending.count, bytes.count)
                pending += bytes[start..<(start + take)]
                start += take
                if pending.count < length { return true }
                guard UTF8Validation.isValid(pending) else { return false }
                pending = []
            }
            // A character that the piece's last bytes begin and do not finish waits.
            var end = bytes.endIndex
            var lead = end - 1
            while lead >= start, end - lead <= 3, bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
            if lead >= start, bytes[lead] >= 0xC0, Self.length(of: bytes[lead]) > end - lead { end = lead }
            guard bytes[start..<end].withUnsafeBufferPointer(UTF8Validation.isValid) else { return false }
            pending = Array(bytes[end...])
            return true
        }

        /// The length a lead byte announces (1 for a byte that cannot lead: it then fails).
        private static func length(of lead: UInt8) -> Int {
            switch lead {
            case 0xC2...0xDF: return 2
            case 0xE0...0xEF: return 3
            case 0xF0...0xF4: return 4
            default: return 1
            }
        }
    }
}

/// A guess among legacy encodings for undeclared, non-UTF-8 text: each candidate that
/// decodes strictly is scored by how much of the result reads as running text in the
/// candidate's script. Crude next to a statistical detector, but it separates the cases that
/// matter here: Cyrillic (windows-1251 vs KOI8-R, told apart by letter case), CJK, and
/// Western text, whose accented letters sit inside otherwise ASCII words.
package enum LegacyEncodingGuess {
    static let candidates = ["windows-1252", "windows-1251", "koi8-r", "gb18030", "big5", "shift_jis", "euc-kr"]

    package static func best(for bytes: [UInt8]) -> String? {
        let sample = Array(bytes.prefix(64 * 1024))
        guard sample.contains(where: { $0 >= 0x80 }) else { return nil }
        var best: (String, Double)?
        for candidate in candidates {
            guard let decoded = DocumentEncoding.convert(sample, from: candidate) else { continue }
            let score = self.score(String(decoding: decoded, as: UTF8.self), as: candidate)
            if score > (best?.1 ?? 0.3) { best = (candidate, score) }
        }
        return best?.0
    }

    /// The share of non-ASCII characters that look like ordinary text in the candidate.
    static func score(_ text: String, as encoding: String) -> Double {
        let scalars = Array(text.unicodeScalars)
        var good = 0.0, total = 0.0
        func isASCIILetter(_ index: Int) -> Bool {
            guard index >= 0, index < scalars.count else { return false }
            let v = scalars[index].value
            return (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
        }
        for (index, scalar) in scalars.enumerated() where scalar.value >= 0x80 {
            total += 1
            let v = scalar.value
            let insideASCIIWord = isASCIILetter(index - 1) || isASCIILetter(index + 1)
            switch encoding {
            case "windows-1252":
                if (0xC0...0xFF).contains(v) && v != 0xD7 && v != 0xF7 { good += insideASCIIWord ? 1 : 0.4 }
                else if [0x2018, 0x2019, 0x201C, 0x201D, 0x2013, 0x2014, 0x2026, 0xA0, 0xAB, 0xBB].contains(v) { good += 0.8 }
            case "windows-1251", "koi8-r":
                guard !insideASCIIWord else { continue }
                if (0x0430...0x044F).contains(v) || v == 0x0451 { good += 1 }
                else if (0x0410...0x042F).contains(v) || v == 0x0401 { good += 0.25 }
                else if [0x2018, 0x2019, 0x201C, 0x201D, 0x2013, 0x2014, 0x2026, 0xA0, 0xAB, 0xBB].contains(v) { good += 0.8 }
            case "gb18030", "big5":
                if (0x4E00...0x9FFF).contains(v) { good += 1 } else if (0x3000...0x303F).contains(v) || (0xFF00...0xFFEF).contains(v) { good += 0.7 }
            case "shift_jis":
                if (0x3040...0x30FF).contains(v) { good += 1.1 } else if (0x4E00...0x9FFF).contains(v) { good += 0.8 }
            case "euc-kr":
                if (0xAC00...0xD7A3).contains(v) { good += 1.05 }
            default:
                break
            }
        }
        return total == 0 ? 0 : good / total
    }
}
