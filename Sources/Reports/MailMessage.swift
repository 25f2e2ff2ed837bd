import Foundation
import Model
import SafeText

/// An alert as an e-mail: plain text and HTML alternatives, UTF-8, every header line ASCII.
/// Its `Message-ID` derives from the alert's id, so a receiver (or a mail filter) can drop a
/// repeat.
public enum MailMessage {
    public static func alert(_ alert: Judgement, from sender: String, to recipients: [String], date: Date) -> [UInt8] {
        let boundary = "drillwatch-" + alert.id
        var plain = ChatMessage.text(alert)
        if !alert.summary.isEmpty { plain += "\n\n" + Display.text(alert.summary) }
        // What set it apart, as the digest says it: a message is read on its own.
        let reasons = AlertFiles.strongestReasons(alert)
        if !reasons.isEmpty { plain += "\n\nWhy: " + Display.line(reasons.joined(separator: "; ")) }
        var html = "<html><body><h2>\(Markup.html(alert.title))</h2>"
        let facts = alert.facts.headline
        html += "<p><b>\(Markup.html(facts.isEmpty ? "China–Russia joint drill" : facts))</b> · \(Markup.html(alert.feed))"
            + " · score \(String(format: "%.2f", alert.score))</p>"
        if !alert.summary.isEmpty { html += "<p>\(Markup.html(alert.summary))</p>" }
        if !reasons.isEmpty { html += "<p><i>Why:</i> \(Markup.html(reasons.joined(separator: "; ")))</p>" }
        if let link = Markup.safeLink(alert.link) { html += "<p><a href=\"\(Markup.html(link))\">\(Markup.html(link))</a></p>" }
        html += "</body></html>"
        let headers = [
            "From: \(header(sender))",
            "To: \(addressList(recipients.map(header)))",
            "Subject: \(subject("Drill alert: " + Display.line(alert.title)))",
            "Date: \(rfc5322(date))",
            "Message-ID: <\(alert.id).alert@drillwatch>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
        ]
        let text = headers.joined(separator: "\r\n") + "\r\n\r\n"
            + part(plain, type: "text/plain", boundary: boundary) + part(html, type: "text/html", boundary: boundary)
            + "--\(boundary)--\r\n"
        return Array(text.utf8)
    }

    private static func part(_ body: String, type: String, boundary: String) -> String {
        "--\(boundary)\r\nContent-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64Lines(Array(body.utf8)) + "\r\n"
    }

    /// Base64 in lines of 76 characters (RFC 2045).
    static func base64Lines(_ bytes: [UInt8]) -> String {
        let encoded = Data(bytes).base64EncodedString()
        return stride(from: 0, to: encoded.count, by: 76).map { start in
            let from = encoded.index(encoded.startIndex, offsetBy: start)
            return String(encoded[from..<(encoded.index(from, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex)])
        }.joined(separator: "\r\n")
    }

    /// The Subject header's value, its lines within RFC 5322's 78 characters: plain ASCII
    /// folded at spaces; anything else (non-ASCII, or a word too long to fold, as a title of
    /// 1,000 characters may hold) as encoded words, which may split anywhere. A title kept to
    /// 1,000 characters on one line passed the 998 octets every server may refuse.
    static func subject(_ text: String) -> String {
        let limit = 78 - "Subject: ".count
        guard !text.utf8.contains(where: { $0 >= 0x80 || $0 < 0x20 }),
              !text.split(separator: " ").contains(where: { $0.utf8.count >= limit }) else { return encodedWord(text, always: true) }
        var lines: [String] = []
        var line: String?
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            guard let current = line else { line = String(word); continue }
            if current.utf8.count + 1 + word.utf8.count > limit {
                lines.append(current)
                line = " " + word
            } else {
                line = current + " " + word
            }
        }
        lines.append(line ?? "")
        // Folding puts a line break before a space, which unfolding removes: the text is kept.
        return lines.joined(separator: "\r\n")
    }

    /// A header value as an RFC 2047 encoded word when it is not plain ASCII.
    /// An encoded word holds at most 75 characters, so a long text becomes several, each
    /// of whole characters, on folded lines.
    static func encodedWord(_ text: String, always: Bool = false) -> String {
        guard always || text.utf8.contains(where: { $0 >= 0x80 || $0 < 0x20 }) else { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        func flush() {
            if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
            chunk.removeAll()
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 { flush() }
            chunk += bytes
        }
        flush()
        return words.joined(separator: "\r\n ")
    }

    /// Addresses on one line when it fits 78 characters, else one a line (folded after each
    /// comma), so that a long list of recipients never makes a line a server may refuse.
    static func addressList(_ addresses: [String]) -> String {
        let line = addresses.joined(separator: ", ")
        return "To: ".count + line.utf8.count <= 78 ? line : addresses.joined(separator: ",\r\n ")
    }

    /// An address for a header: control characters and line breaks cannot reach it.
    private static func header(_ address: String) -> String {
        String(address.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
    }

    static func rfc5322(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
