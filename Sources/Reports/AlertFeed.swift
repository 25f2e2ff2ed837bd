import Foundation
import Model
import SafeText

/// `alerts.xml`: an Atom 1.0 feed of the latest alerts, so any feed reader can subscribe to
/// drillwatch itself. All feed text is escaped as XML character data.
public enum AlertFeed {
    public static func atom(_ alerts: [Judgement], updated: Date) -> String {
        let formatter = ISO8601DateFormatter()
        var entries = ""
        for alert in alerts {
            let facts = alert.facts.headline
            let summary = (facts.isEmpty ? "" : facts + " — ") + alert.summary
            entries += """
                  <entry>
                    <id>urn:drillwatch:alert:\(alert.id)</id>
                    <title>\(Markup.xml(alert.title))</title>
                    <updated>\(formatter.string(from: alert.firstSeen))</updated>
                \(alert.published.map { "    <published>\(formatter.string(from: $0))</published>\n" } ?? "")\
                \(Markup.safeLink(alert.link).map { "    <link rel=\"alternate\" href=\"\(Markup.xml($0))\"/>\n" } ?? "")\
                    <author><name>\(Markup.xml(alert.feed))</name></author>
                    <summary type="text">\(Markup.xml(summary))</summary>
                  </entry>

                """
        }
        return """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
              <id>urn:drillwatch:alerts</id>
              <title>drillwatch: China–Russia joint drills</title>
              <link rel="self" type="application/atom+xml" href="alerts.xml"/>
              <updated>\(formatter.string(from: updated))</updated>
              <generator>drillwatch</generator>
            \(entries)</feed>

            """
    }

    public static func write(_ alerts: [Judgement], to root: URL, updated: Date = Date()) throws(AtomicFile.WriteError) {
        try AtomicFile.write(Data(atom(alerts, updated: updated).utf8), to: root.appendingPathComponent("alerts.xml"))
    }
}
