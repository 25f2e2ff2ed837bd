import Foundation
import Model
import Reports
import Settings
import Store

/// One analyst-judged alert as a labelled item, in the format of the evaluation files
/// (`shared/eval/dev.jsonl`): what `drillwatch eval` reads and `drillwatch train` will.
public struct LabelledRecord: Sendable, Equatable, Encodable {
    public var id: String
    public var title: String
    public var summary: String
    public var link: String?
    /// `YYYY-MM-DD` (UTC), or nil.
    public var published: String?
    /// `drill` for an alert judged right, `other` for one judged wrong.
    public var label: DrillLabel
    /// `cn-ru-drill` or `cn-ru-patrol` for right, `feedback-wrong` for wrong.
    public var category: String
    /// The alert's exercise as a slug ("joint-sea-2025"), or nil.
    public var event: String?
    public var note: String?
    public var textOrigin = "drillwatch alert judged by an analyst"

    enum CodingKeys: String, CodingKey {
        case id, title, summary, link, published, label, category, event, note, textOrigin = "text_origin"
    }

    public init(_ feedback: Feedback, _ alert: Judgement) {
        id = alert.id
        title = alert.title
        summary = alert.summary
        link = alert.link
        published = alert.published.map(Self.day)
        switch feedback.verdict {
        case .right:
            label = .drill
            category = Self.isPatrol(alert) ? "cn-ru-patrol" : "cn-ru-drill"
        case .wrong:
            label = .other
            category = "feedback-wrong"
        }
        event = alert.facts.exercise.map(CorpusStore.slug)
        note = feedback.note
    }

    // Missing values are written as null, as in the evaluation files, not left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(title, forKey: .title)
        try container.encode(summary, forKey: .summary)
        try container.encode(link, forKey: .link)
        try container.encode(published, forKey: .published)
        try container.encode(label, forKey: .label)
        try container.encode(category, forKey: .category)
        try container.encode(event, forKey: .event)
        try container.encode(note, forKey: .note)
        try container.encode(textOrigin, forKey: .textOrigin)
    }

    /// A patrol when the alert's exercise says so, or the shipped `joint-patrol` rule (any
    /// raising rule named for patrols) is among its reasons.
    static func isPatrol(_ alert: Judgement) -> Bool {
        alert.facts.exercise?.localizedCaseInsensitiveContains("patrol") == true
            || alert.rules.contains { $0.effect == .raise && $0.name.localizedCaseInsensitiveContains("patrol") }
    }

    static func day(_ date: Date) -> String {
        let day = AlertFiles.day(date)
        return "\(day.year)-\(day.month)-\(day.day)"
    }

    /// The records as JSONL, one line each, keys sorted.
    public static func jsonLines(_ records: [LabelledRecord]) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return records.reduce(into: Data()) { data, record in
            data += ((try? encoder.encode(record)) ?? Data("{}".utf8)) + Data("\n".utf8)
        }
    }
}

/// The analyst-feedback use cases: judge an alert, add a right one to the corpus, export
/// the judgements as labelled items.
public struct AnalystFeedback: Sendable {
    public let settings: Settings
    public let store: any StateStore

    public init(settings: Settings, store: any StateStore) {
        self.settings = settings
        self.store = store
    }

    /// Records a judgement (replacing an earlier one). An id not in the state is an error
    /// that says where ids are found.
    public func judge(alertID: String, verdict: AnalystVerdict, note: String?) async throws(PipelineError) -> FeedbackOutcome {
        let outcome: FeedbackOutcome
        do { outcome = try await store.record(Feedback(alertID: alertID, verdict: verdict, note: note)) } catch {
            throw PipelineError.state(error)
        }
        if outcome == .unknownAlert { throw unknownAlert(alertID) }
        return outcome
    }

    private func unknownAlert(_ id: String) -> PipelineError {
        let alerts = settings.outputFolder.appendingPathComponent("alerts").path
        return PipelineError.invalidInput("alert '\(id)'", line: nil, """
            no such alert in the state database. An alert's id is the name of its file, \
            \(alerts)/YYYY/MM/DD/<id>.json (the "id" inside it); `drillwatch status` lists the latest alerts with their ids
            """)
    }

    /// What `addToCorpus` did.
    public enum CorpusAddition: Sendable, Equatable {
        case added(String)
        /// A corpus document already has the alert's link: nothing written.
        case alreadyPresent(String)
    }

    /// Adds the alert's title and text to the corpus as a document, with its date, link and
    /// exercise as front matter. An alert whose link a document already has is not added again.
    public func addToCorpus(alertID: String) async throws(PipelineError) -> CorpusAddition {
        let alert: Judgement?
        do { alert = try await store.alert(id: alertID) } catch { throw PipelineError.state(error) }
        guard let alert else { throw unknownAlert(alertID) }
        let corpus = CorpusStore(folder: settings.corpusFolder)
        if let link = alert.link, let existing = try corpus.load(warn: { _ in }).first(where: { $0.url == link }) {
            return .alreadyPresent(existing.id)
        }
        return .added(try corpus.add(title: alert.title, url: alert.link, date: alert.published.map(LabelledRecord.day),
                                     exercise: alert.facts.exercise, body: alert.summary, source: "alert \(alertID)"))
    }

    /// The judgements as labelled records, oldest first, and the ids of judged alerts whose
    /// stored JSON cannot be read (left out).
    public func export() async throws(PipelineError) -> (records: [LabelledRecord], unreadable: [String]) {
        let judged: [JudgedAlert]
        do { judged = try await store.judgedAlerts() } catch { throw PipelineError.state(error) }
        let records = judged.compactMap { entry in entry.alert.map { LabelledRecord(entry.feedback, $0) } }
        return (records, judged.filter { $0.alert == nil }.map(\.feedback.alertID))
    }
}
