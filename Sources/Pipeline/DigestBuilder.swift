import Foundation
import Model
import Reports
import SafeText
import Settings
import Store

/// Builds and writes the daily digest from the state database.
public struct DigestBuilder {
    public let settings: Settings
    public let store: any StateStore

    public init(settings: Settings, store: any StateStore) {
        self.settings = settings
        self.store = store
    }

    /// The digest's days, in its time zone.
    public var calendar: DigestCalendar { DigestCalendar(timeZone: settings.digest.timeZone) }

    public func day(containing date: Date) -> String { calendar.day(containing: date) }

    public func bounds(of day: String) throws(PipelineError) -> (Date, Date) { try calendar.bounds(of: day) }

    public func build(day: String, generated: Date = Date()) async throws(PipelineError) -> Digest {
        let (start, end) = try bounds(of: day)
        let items: [Judgement]
        let counts: [String: Int]
        let states: [FeedState]
        let marks: [String: Feedback]
        let alerted: Set<String>
        do {
            items = try await store.items(firstSeenFrom: start, to: end, verdicts: [.alert, .duplicate, .review])
            counts = try await store.newItemCounts(from: start, to: end)
            states = try await store.feedStates()
            marks = try await store.feedback(for: items.map(\.id))
            alerted = try await store.alertedStories(among: Array(Set(items.compactMap(\.story))))
        } catch {
            throw PipelineError.state(error)
        }
        func source(_ item: Judgement) -> Digest.Source {
            Digest.Source(feed: item.feed, title: item.title, link: item.link, published: item.published,
                          firstSeen: item.firstSeen, score: item.score,
                          judgement: marks[item.id].map { Digest.AnalystMark(verdict: $0.verdict, note: $0.note) })
        }
        // Only stories that raised an alert (today or before): an old item recorded on a
        // feed's first fetch, and its copies, are not news of the day.
        let files = AlertFiles(root: settings.outputFolder)
        let reported = items.filter { $0.verdict.isRelevant && $0.story.map(alerted.contains) == true }
        let groups = Self.stories(reported)
        var stories = groups.map { group in
            let lead = group.first { $0.verdict == .alert } ?? group[0]
            var story = Digest.Story(
                id: lead.story ?? lead.id, title: lead.title, exercise: group.lazy.compactMap(\.facts.exercise).first,
                places: group.first { !$0.facts.places.isEmpty }.map { $0.facts.places.joined(separator: " · ") },
                score: group.map(\.score).max() ?? lead.score,
                firstSeen: group.map(\.firstSeen).min()!, lastSeen: group.map(\.firstSeen).max()!,
                sources: group.map(source))
            story.published = group.compactMap(\.published).min()
            story.lede = Lede.of(lead.summary)
            if lead.verdict == .alert {
                story.alertFile = "../" + files.markdownURL(for: lead).path.dropFirst(settings.outputFolder.path.count + 1)
            }
            return story
        }
        // What set each alert apart: its strongest evidence (a score of 1.00 says little).
        for index in stories.indices {
            guard let lead = groups[index].first(where: { $0.verdict == .alert }),
                  let alert = try? await store.alert(id: lead.id) else { continue }
            stories[index].reasons = AlertFiles.strongestReasons(alert)
        }
        let related = items.filter { $0.verdict == .review }.map(source)
        let byName = Dictionary(states.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let feeds = settings.feeds.map { feed -> Digest.FeedHealth in
            let state = byName[feed.name]
            return Digest.FeedHealth(name: feed.name, healthy: (state?.errorCount ?? 0) == 0 && state?.lastSuccess != nil,
                                     lastSuccess: state?.lastSuccess, consecutiveErrors: state?.errorCount ?? 0,
                                     lastError: state?.lastError.map(Display.line) ?? (state == nil ? "never fetched" : nil),
                                     newItems: counts[feed.name] ?? 0)
        }
        var digest = Digest(date: day, timeZone: settings.digest.timeZone, generated: generated, stories: stories,
                            possiblyRelated: related, feeds: feeds)
        if let counts = try? await store.deliveryCounts(), counts.pending + counts.expired > 0 {
            digest.deliveries = "\(counts.pending) pending (\(counts.retrying) retrying), \(counts.expired) given up"
                + (counts.lastError.map { "; last error: " + Display.line($0) } ?? "")
        }
        return digest
    }


    /// Relevant items grouped by story, in the order stories were first told.
    static func stories(_ relevant: [Judgement]) -> [[Judgement]] {
        var order: [String] = []
        var members: [String: [Judgement]] = [:]
        for item in relevant {
            let story = item.story ?? "\(item.feed)/\(item.itemKey)"
            if members[story] == nil { order.append(story) }
            members[story, default: []].append(item)
        }
        return order.map { members[$0]! }
    }

    /// Writes `digests/<day>.md`, `.html` and `.json` (each atomically); returns the folder.
    @discardableResult
    public func write(_ digest: Digest) throws(PipelineError) -> URL {
        let folder = settings.outputFolder.appendingPathComponent("digests")
        do {
            try AtomicFile.write(Data(DigestRenderer.markdown(digest).utf8), to: folder.appendingPathComponent("\(digest.date).md"))
            try AtomicFile.write(Data(DigestRenderer.html(digest).utf8), to: folder.appendingPathComponent("\(digest.date).html"))
            try AtomicFile.write(DigestRenderer.json(digest), to: folder.appendingPathComponent("\(digest.date).json"))
        } catch {
            throw PipelineError.cannotWrite(error.path, error.reason)
        }
        return folder
    }
}

/// Local days (`YYYY-MM-DD`) in the digest's time zone.
public struct DigestCalendar: Sendable {
    let calendar: Calendar

    public init(timeZone: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        self.calendar = calendar
    }


    /// The local day `YYYY-MM-DD` that contains `date`.
    public func day(containing date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// The start and end of a local day.
    /// A day that does not exist (2026-13-01, 2026-02-30) or is not written YYYY-MM-DD is
    /// refused: the calendar would otherwise roll it over into another day.
    public func bounds(of day: String) throws(PipelineError) -> (Date, Date) {
        let fields = day.split(separator: "-", omittingEmptySubsequences: false)
        let parts = fields.compactMap { Int($0) }
        guard fields.map(\.count) == [4, 2, 2], parts.count == 3,
              let start = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
              self.day(containing: start) == day,
              let end = calendar.date(byAdding: .day, value: 1, to: start) else {
            throw PipelineError.invalidInput(day, line: nil, "not a day of the calendar (write YYYY-MM-DD, e.g. 2025-06-02)")
        }
        return (start, end)
    }
}
