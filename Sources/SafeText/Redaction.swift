import Foundation

/// One rule for showing a URL to a person or storing it in a message: credentials never
/// appear. Feed and webhook URLs carry them more often than one would hope (`user:pass@`,
/// `?apikey=`, signed links), and the places they end up — the scan table, `status`, the
/// daemon's log, stored errors, the digest meant for sharing — outlive the secret's owner's
/// attention.
///
/// - userinfo (`user:password@`) becomes `***@`;
/// - the value of every query parameter whose name looks secret (`token`, `key`, `apikey`,
///   `secret`, `password`, `sig`, `auth`, `session`, …, in any case or word order) becomes `***`.
///
/// Everything else is left as it was, so that a redacted URL still tells which feed it is.
public enum Redaction {
    public static let mask = "***"

    /// `url` with its credentials masked; text that is not a URL comes back unchanged.
    public static func url(_ url: String) -> String {
        // Nothing to mask without an "@" (userinfo), a "?" (query) or a "/bot" (a token in
        // the path): most URLs, answered from their bytes. Checking every feed's URL in the
        // configuration this way took 4% of a rescan's CPU with 2,000 feeds.
        if !url.utf8.contains(where: { $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "?") }), !url.contains("/bot") { return url }
        guard let schemeEnd = url.range(of: "://"), isScheme(url[..<schemeEnd.lowerBound]) else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        var authority = String(afterScheme[..<authorityEnd])
        if let at = authority.lastIndex(of: "@") {
            authority = mask + authority[at...]
        }
        var rest = maskedPath(String(afterScheme[authorityEnd...]))
        if let question = rest.firstIndex(of: "?") {
            let fragmentStart = rest[question...].firstIndex(of: "#") ?? rest.endIndex
            let query = rest[rest.index(after: question)..<fragmentStart]
            rest = String(rest[...question]) + maskedQuery(query) + rest[fragmentStart...]
        }
        return String(url[..<schemeEnd.upperBound]) + authority + rest
    }

    /// Path segments that are secrets by their shape: a Telegram bot token (`bot123456:AA…`),
    /// which its API puts in the path.
    static func maskedPath(_ rest: String) -> String {
        let pathEnd = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let segments = rest[..<pathEnd].split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            guard segment.hasPrefix("bot"), let colon = segment.firstIndex(of: ":"),
                  segment[segment.index(segment.startIndex, offsetBy: 3)..<colon].allSatisfy(\.isNumber), segment.count > 20
            else { return String(segment) }
            return "bot" + mask
        }
        return segments.joined(separator: "/") + rest[pathEnd...]
    }

    /// `text` (an error message, a log value) with every URL in it redacted.
    public static func urls(in text: String) -> String {
        guard text.contains("://") else { return text }
        var result = ""
        var rest = Substring(text)
        while let separator = rest.range(of: "://") {
            // The scheme: the letters, digits, `+`, `-`, `.` just before "://".
            var start = separator.lowerBound
            while start > rest.startIndex {
                let previous = rest.index(before: start)
                guard isSchemeCharacter(rest[previous]) else { break }
                start = previous
            }
            var end = rest[separator.upperBound...].firstIndex(where: isURLTerminator) ?? rest.endIndex
            // "…/feed: timed out": punctuation that ends the sentence is not the URL's.
            while end > separator.upperBound, ":,;.".contains(rest[rest.index(before: end)]) { end = rest.index(before: end) }
            result += rest[..<start]
            result += url(String(rest[start..<end]))
            rest = rest[end...]
        }
        return result + rest
    }

    /// Whether a query parameter's name says its value is a secret.
    public static func isSecretName(_ name: String) -> Bool {
        let lowered = (name.removingPercentEncoding ?? name).lowercased()
        let words = lowered.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        if words.contains(where: secretWords.contains) { return true }
        return secretSuffixes.contains { lowered.hasSuffix($0) }
    }

    private static let secretWords: Set<String> = [
        "token", "key", "apikey", "secret", "password", "passwd", "pwd", "pass", "sig", "signature",
        "auth", "authorization", "credential", "credentials", "session", "sessionid", "sid", "jwt",
        "hash", "otp", "code", "accesskey", "privatekey", "secretkey", "clientsecret",
    ]
    /// Names written as one word (`accesstoken`, `xapikey`); `api_key` is caught by words.
    private static let secretSuffixes = ["token", "apikey", "secret", "password", "signature"]

    private static func maskedQuery(_ query: Substring) -> String {
        query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let equals = pair.firstIndex(of: "="), isSecretName(String(pair[..<equals])) else { return String(pair) }
            return pair[...equals] + mask
        }.joined(separator: "&")
    }

    private static func isScheme(_ text: Substring) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter else { return false }
        return text.allSatisfy(isSchemeCharacter)
    }

    private static func isSchemeCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "+" || character == "-" || character == ".")
    }

    /// Where a URL quoted in prose ends: whitespace, quotes, angle brackets, or a closing
    /// parenthesis (messages put URLs in parentheses).
    private static func isURLTerminator(_ character: Character) -> Bool {
        character.isWhitespace || "\"'<>`)]".contains(character)
    }
}
