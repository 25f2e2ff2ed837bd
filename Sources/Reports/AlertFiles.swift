import Foundation
import Model
import SafeText

/// Judgement files under `alerts/YYYY/MM/DD/`: `<id>.json` for programs and `<id>.md` for people.
/// The day is the alert's first-seen day in UTC, so a file's path never changes.
public struct AlertFiles: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    public func folder(for alert: Judgement) -> URL {
        let day = Self.day(alert.firstSeen)
        return root.appendingPathComponent("alerts").appendingPathComponent(day.year)
            .appendingPathComponent(day.month).appendingPathComponent(day.day)
    }

    public func jsonURL(for alert: Judgement) -> URL { folder(for: alert).appendingPathComponent(alert.id + ".json") }
    public func markdownURL(for alert: Judgement) -> URL { folder(for: alert).appendingPathComponent(alert.id + ".md") }

    /// Writes both files (each atomically). Writing an alert again rewrites identical bytes.
    public func write(_ alert: Judgement) throws(AtomicFile.WriteError) {
        try AtomicFile.write(Self.json(alert), to: jsonURL(for: alert))
        try AtomicFile.write(Data(Self.markdown(alert).utf8), to: markdownURL(for: alert))
    }

    public static func json(_ alert: Judgement) -> Data {
        ((try? JSONCoding.encoder(pretty: true).encode(alert)) ?? Data("{}".utf8)) + Data("\n".utf8)
    }

    /// Markdown for a person. Feed text is escaped so it cannot inject links, images or HTML.
    public static func markdown(_ alert: Judgement) -> String {
        var lines = ["# \(Markup.markdown(alert.title))", ""]
        let facts = alert.facts.headline
        if !facts.isEmpty { lines.append("**\(Markup.markdown(facts))**  ") }
        if !alert.facts.countries.isEmpty { lines.append("Countries: \(Markup.markdown(alert.facts.countries.joined(separator: ", ")))  ") }
        lines.append("Feed: \(Markup.markdown(alert.feed)) · score \(String(format: "%.2f", alert.score)) · \(alert.verdict)  ")
        if let published = alert.published { lines.append("Published: \(iso(published))  ") }
        lines.append("First seen: \(iso(alert.firstSeen))  ")
        if let link = Markup.safeLink(alert.link) {
            lines.append("Link: \(Markup.markdownDestination(link))")
        }
        lines.append("")
        if alert.fromArticle == true { lines.append("*From the linked article (the feed gave a headline):*  ") }
        lines.append(Markup.markdown(alert.summary))
        lines.append("")
        lines.append("## Why")
        lines += why(alert)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The reasons as `classify --explain` gives them: the score against its threshold and
    /// what moved it, the rules with the words they found, the closest corpus articles by
    /// their headlines with the words they share, the story.
    static func why(_ alert: Judgement) -> [String] {
        var lines: [String] = []
        func number(_ value: Double, _ format: String) -> String {
            // "-0.0" says nothing a reader can use; a share that small reads as 0.
            let text = String(format: format, value)
            return Double(text) == 0 ? String(format: format.replacingOccurrences(of: "+", with: ""), 0.0) : text
        }
        if let explanation = alert.explanation {
            lines.append("Score \(String(format: "%.2f", alert.score)), alert from \(String(format: "%.2f", explanation.alertThreshold)): "
                + "log-odds \(number(explanation.bias, "%+.2f")) before any feature, then:")
            for (label, side) in [("for", explanation.contributions.filter { $0.logOdds > 0 }),
                                  ("against", explanation.contributions.filter { $0.logOdds < 0 })] where !side.isEmpty {
                lines.append("- \(label): " + side.map { "`\($0.feature)` \(number($0.logOdds, "%+.2f"))" }.joined(separator: ", "))
            }
            if !explanation.words.isEmpty {
                lines.append("- learnt words (`text:words`): "
                    + explanation.words.map { "\(Markup.markdown($0.feature)) \(number($0.logOdds, "%+.2f"))" }.joined(separator: ", "))
            }
            lines.append("")
        }
        if !alert.rules.isEmpty {
            lines.append("Rules that matched, with the words they found:")
            for rule in alert.rules {
                let sign = rule.effect == .veto ? "veto" : number(rule.weight, "%+.1f")
                lines.append("- rule `\(rule.name)` (\(sign)): \(Markup.markdown(rule.matched.joined(separator: ", ")))")
            }
            lines.append("")
        }
        if !alert.similar.isEmpty {
            lines.append("Closest corpus articles, with the words they share:")
            for document in alert.similar {
                let name = document.title.map { "“\(Markup.markdown($0))” (`\(document.document)`, " } ?? "`\(document.document)` ("
                let shared = document.terms.isEmpty ? "" : ": " + Markup.markdown(document.terms.joined(separator: ", "))
                lines.append("- \(name)\(String(format: "%.2f", document.score)))\(shared)")
            }
            lines.append("")
        }
        if let story = alert.story { lines.append("Story `\(story)`.") }
        while lines.last == "" { lines.removeLast() }
        return lines
    }

    /// An alert's strongest evidence in a line, for a person reading a digest or an e-mail:
    /// its two heaviest rules that raised the score, and its closest reference article.
    public static func strongestReasons(_ alert: Judgement) -> [String] {
        var reasons = alert.rules.filter { $0.effect == .raise && $0.weight > 0 }.sorted { $0.weight > $1.weight }.prefix(2).map { rule in
            "\(rule.name): \(rule.matched.prefix(3).joined(separator: ", "))"
        }
        if let similar = alert.similar.first, similar.score >= 0.2 {
            reasons.append("like “\(similar.title ?? similar.document)”, similarity \(String(format: "%.2f", similar.score))")
        }
        return reasons
    }

    static func iso(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    /// The UTC day of `date`, zero-padded: the alert folder's path, and the day written for
    /// an alert elsewhere.
    public static func day(_ date: Date) -> (year: String, month: String, day: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        func two(_ n: Int?) -> String { String(format: "%02d", n ?? 0) }
        return (String(format: "%04d", parts.year ?? 0), two(parts.month), two(parts.day))
    }
}
