import CLibXML2
import Foundation

/// RFC 3986 reference resolution, by libxml2's `xmlBuildURI`.
public enum URIResolver {
    /// Resolves `reference` against `base`; returns `reference` unchanged when either is
    /// unusable (an absolute reference, or no base).
    public static func resolve(_ reference: String, against base: String?) -> String {
        let trimmed = reference.trimmedWhitespace
        guard let base, !base.isEmpty else { return trimmed }
        if isAbsolute(trimmed) { return trimmed }
        if let built = xmlBuildURI(trimmed, base) {
            defer { dw_xml_free(built) }
            return String(cString: built)
        }
        // libxml2 refuses references with non-ASCII characters (IRIs): resolve their
        // percent-encoded form, then decode the result back to characters.
        guard trimmed.unicodeScalars.contains(where: { !$0.isASCII }),
              let encoded = trimmed.addingPercentEncoding(withAllowedCharacters: .urlFragmentAllowed.union(["/", "?", "#", "%"])),
              let built = xmlBuildURI(encoded, base)
        else { return trimmed }
        defer { dw_xml_free(built) }
        let resolved = String(cString: built)
        return resolved.removingPercentEncoding ?? resolved
    }

    /// True when `reference` starts with a scheme (`http:`, `mailto:`…): an ASCII letter, then
    /// letters, digits, `+`, `-` or `.` up to a colon. Read on the UTF-8 bytes (a scheme is ASCII),
    /// since every link of every entry is asked.
    public static func isAbsolute(_ reference: String) -> Bool {
        var seenLetter = false
        for byte in reference.utf8 {
            let letter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            if !seenLetter {
                guard letter else { return false }
                seenLetter = true
                continue
            }
            if byte == UInt8(ascii: ":") { return true }
            let digit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            guard letter || digit || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") else {
                return false
            }
        }
        return false
    }
}
