import Foundation
import Model
import SafeText

/// An alert as a chat message, in the body each chat's API takes: Slack's and Mattermost's
/// incoming webhooks (`{"text"}`), Matrix's `m.room.message`, Telegram's `sendMessage`.
/// Another view of the one record; feed text is shown through `Display` and escaped for
/// each format.
public enum ChatMessage {
    /// The message for a person: headline, facts, feed and score, link.
    public static func text(_ alert: Judgement) -> String {
        var lines = ["China–Russia drill alert: \(Display.line(alert.title))"]
        let facts = alert.facts.headline
        lines.append((facts.isEmpty ? "" : Display.line(facts) + " · ") + "\(Display.line(alert.feed)) · score \(String(format: "%.2f", alert.score))")
        if let link = Markup.safeLink(alert.link) { lines.append(link) }
        return lines.joined(separator: "\n")
    }

    /// Slack, Mattermost and compatible incoming webhooks. Slack reads `&`, `<` and `>` as
    /// markup, so they are escaped as its documentation says.
    public static func slack(_ alert: Judgement) -> [UInt8] {
        let text = text(alert).replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        return encode(["text": text])
    }

    /// Matrix: an `m.room.message` event with a plain body and an HTML one.
    public static func matrix(_ alert: Judgement) -> [UInt8] {
        var html = "<b>China–Russia drill alert:</b> \(Markup.html(alert.title))<br>"
        let facts = alert.facts.headline
        html += (facts.isEmpty ? "" : Markup.html(facts) + " · ") + "\(Markup.html(alert.feed)) · score \(String(format: "%.2f", alert.score))"
        if let link = Markup.safeLink(alert.link) { html += "<br><a href=\"\(Markup.html(link))\">\(Markup.html(link))</a>" }
        return encode(["msgtype": "m.text", "body": text(alert), "format": "org.matrix.custom.html", "formatted_body": html])
    }

    /// Telegram's `sendMessage`, plain text (no parse mode: nothing in it is markup).
    public static func telegram(_ alert: Judgement, chat: String) -> [UInt8] {
        encode(["chat_id": chat, "text": text(alert)])
    }

    private static func encode(_ object: [String: String]) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(object)) ?? Data("{}".utf8))
    }
}
