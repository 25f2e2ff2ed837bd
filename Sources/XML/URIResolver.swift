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

    /// True when `reference` starts with a scheme (`http:`, `mailto:`…).
    public static func isAbsolute(_ reference: String) -> Bool {
        guard let colon = reference.firstIndex(of: ":") else { return false }
        let scheme = reference[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter else { return false }
        return scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }
    }
}
