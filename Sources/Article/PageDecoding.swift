import CLibXML2
import Feeds
import XML

/// Chooses a page's character encoding as browsers do and decodes it to UTF-8 with iconv.
///
/// Order of evidence (HTML's): a byte-order mark; the HTTP `charset`; a `<meta charset>` or
/// `<meta http-equiv="Content-Type">` near the start; then UTF-8 when the bytes are valid
/// UTF-8, a guess among the legacy encodings of the sources drillwatch follows, and finally
/// windows-1252 (which decodes any byte).
enum PageDecoding {
    /// How far into a page a `<meta>` charset is looked for (HTML says 1,024 bytes; real pages
    /// put a long `<head>` first).
    static let prescanLength = 16 * 1024

    static func decode(_ raw: [UInt8], contentType: String?) -> (bytes: [UInt8], encoding: String) {
        let (bom, bomLength) = DocumentEncoding.sniff(raw)
        let body = bomLength > 0 ? Array(raw[bomLength...]) : raw
        var candidates: [String] = []
        if let bom { candidates.append(bom) }
        if let charset = DocumentEncoding.parseContentType(contentType).1 { candidates.append(charset) }
        if let declared = metaCharset(raw) { candidates.append(declared) }
        candidates.append("utf-8")
        for candidate in candidates.map(DocumentEncoding.canonical) {
            // A page that declares Latin-1 is read as windows-1252, as browsers do.
            let encoding = candidate == "iso-8859-1" || candidate == "us-ascii" ? "windows-1252" : candidate
            if let bytes = DocumentEncoding.convert(body, from: encoding) { return (bytes, encoding) }
        }
        // Declared UTF-8 with a few broken bytes is still UTF-8: they become U+FFFD.
        if candidates.dropLast().map(DocumentEncoding.canonical).contains("utf-8") {
            return (Array(String(decoding: body, as: UTF8.self).utf8), "utf-8")
        }
        let guess = LegacyEncodingGuess.best(for: body) ?? "windows-1252"
        return (DocumentEncoding.convert(body, from: guess) ?? body.map { $0 < 0x80 ? $0 : 0x3F }, guess)
    }

    /// `charset` of the first `<meta charset=…>` or `<meta http-equiv content="…; charset=…">`,
    /// looked for in the bytes (the page is not decoded yet).
    static func metaCharset(_ raw: [UInt8]) -> String? {
        let head = raw.prefix(prescanLength)
        func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
        func matches(_ word: String, at index: Int) -> Bool {
            var i = index
            for c in word.utf8 {
                guard i < head.endIndex, lower(head[i]) == c else { return false }
                i += 1
            }
            return true
        }
        var i = head.startIndex
        while i < head.endIndex {
            guard head[i] == UInt8(ascii: "<"), matches("<meta", at: i) else { i += 1; continue }
            let end = head[i...].firstIndex(of: UInt8(ascii: ">")) ?? head.endIndex
            var k = i + 5
            while k < end {
                if matches("charset", at: k) {
                    var v = k + 7
                    while v < end, [0x20, 0x3D, 0x22, 0x27].contains(head[v]) { v += 1 }  // space = " '
                    var value: [UInt8] = []
                    while v < end, head[v] < 0x80, let c = Optional(lower(head[v])),
                          (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F || c == 0x3A || c == 0x2E {
                        value.append(c)
                        v += 1
                    }
                    if !value.isEmpty { return String(decoding: value, as: UTF8.self) }
                }
                k += 1
            }
            i = end
        }
        return nil
    }
}

/// Reads a page from a file: `.gz` files are decompressed (by libxml2's own reader, which
/// links zlib), everything else is read as it is.
package enum PageFile {
    package struct ReadError: Error, CustomStringConvertible {
        package let description: String
    }

    /// Pages larger than this are refused rather than held in memory.
    package static let maxBytes = 32 * 1024 * 1024

    package static func read(_ path: String) throws(ReadError) -> [UInt8] {
        LibXML2.initialize()
        guard let input = xmlParserInputBufferCreateFilename(path, XML_CHAR_ENCODING_NONE) else {
            throw ReadError(description: "\(path): cannot be read")
        }
        defer { xmlFreeParserInputBuffer(input) }
        while true {
            let got = xmlParserInputBufferGrow(input, 64 * 1024)
            if got < 0 { throw ReadError(description: "\(path): cannot be read (not a readable file, or a damaged .gz)") }
            if got == 0 { break }
            if xmlBufUse(input.pointee.buffer) > maxBytes {
                throw ReadError(description: "\(path): larger than \(maxBytes / 1024 / 1024) MiB")
            }
        }
        guard let content = xmlBufContent(input.pointee.buffer) else { return [] }
        return Array(UnsafeBufferPointer(start: content, count: xmlBufUse(input.pointee.buffer)))
    }
}
