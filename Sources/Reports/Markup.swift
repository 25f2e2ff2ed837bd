import Foundation
import SafeText

/// The one escaper per output format, and the one rule for links: every view of a judgement
/// (alert files, `alerts.xml`, the digest) shows feed text through these.
public enum Markup {
    /// Markdown: backslash-escapes Markdown's punctuation and neutralises HTML; line breaks
    /// become spaces, and the text is shown through `Display` (credentials masked, controls
    /// escaped).
    public static func markdown(_ text: String) -> String {
        var out = ""
        let shown = Display.line(text.replacingOccurrences(of: "\r\n", with: " ")
            .replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " "))
        for character in shown {
            switch character {
            case "\\", "`", "*", "_", "{", "}", "[", "]", "(", ")", "#", "+", "!", "|", "~", ">":
                out.append("\\")
                out.append(character)
            case "<": out += "&lt;"
            case "&": out += "&amp;"
            case "\r", "\n": out += " "
            default: out.append(character)
            }
        }
        return out
    }

    /// A Markdown link destination in angle brackets, which may hold no `>` or space.
    public static func markdownDestination(_ url: String) -> String {
        "<" + url.replacingOccurrences(of: ">", with: "%3E").replacingOccurrences(of: " ", with: "%20") + ">"
    }

    /// HTML element content and attribute values, shown through `Display` first (a bidi
    /// override would reverse what the reader sees; credentials are masked).
    public static func html(_ text: String) -> String {
        var out = ""
        for character in Display.line(text) {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// XML character data: markup characters escaped; control, C1 and bidi characters shown
    /// as visible escapes (`Neutralizer`), characters XML forbids dropped.
    public static func xml(_ text: String) -> String {
        var out = ""
        for scalar in Neutralizer.escape(text, .text).unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case _ where scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r": continue
            case _ where (0xFFFE...0xFFFF).contains(scalar.value): continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A link fit for a shared file: http(s) only (no `javascript:`), credentials masked.
    public static func safeLink(_ link: String?) -> String? {
        guard let link, link.hasPrefix("http://") || link.hasPrefix("https://") else { return nil }
        return Redaction.url(link)
    }
}
