import Feeds
import SafeText

/// A feed rendered for a person in a terminal.
enum FeedTable {
    /// Every text comes from the feed: shown through `Display`, a title cannot drive the terminal.
    static func render(_ document: FeedDocument) -> String {
        Display.text(plainRender(document))
    }

    private static func plainRender(_ document: FeedDocument) -> String {
        var lines: [String] = []
        let feed = document.feed
        lines.append("\(feed.title ?? "(untitled feed)")  [\(document.version), \(document.encoding)]")
        if let link = feed.link { lines.append(link) }
        if let subtitle = feed.subtitle { lines.append(truncate(subtitle, to: 100)) }
        if document.bozo { lines.append("warning: recovered from: \(document.bozoReason ?? "an ill-formed document")") }
        lines.append("")
        lines.append("\(document.entries.count) item\(document.entries.count == 1 ? "" : "s")")
        let dateWidth = 20
        for (index, entry) in document.entries.enumerated() {
            let date = (entry.published ?? entry.updated).map(FeedDate.format) ?? "-"
            let title = entry.title ?? "(no title)"
            lines.append(String(format: "%3d  ", index + 1) + date.padding(toLength: dateWidth, withPad: " ", startingAt: 0)
                + " " + truncate(title, to: 90))
            if let link = entry.link { lines.append("     " + link) }
            if !entry.text.isEmpty {
                lines.append("     " + truncate(entry.text.replacingOccurrences(of: "\n\n", with: " ").replacingOccurrences(of: "\n", with: " "), to: 110))
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func truncate(_ text: String, to length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }
}
