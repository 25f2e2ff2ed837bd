import Foundation
import Model

/// Thresholds and weights of the verdict; all come from the configuration.
public struct ClassifierSettings: Sendable, Equatable {
    /// Score from which an item is an alert.
    public var alertThreshold: Double = 0.6
    /// Score from which an item is "possibly related" (review).
    public var reviewThreshold: Double = 0.35
    /// Log-odds before any rule fires.
    public var bias: Double = -3.0
    /// Log-odds added per unit of corpus similarity above `similarityCenter` (subtracted below).
    public var similarityWeight: Double = 4.0
    public var similarityCenter: Double = 0.15
    /// Story similarity (max of TF-IDF cosine and MinHash Jaccard) from which an item joins an
    /// earlier story.
    public var duplicateThreshold: Double = 0.5
    /// The same, for two items naming the same exercise with the same year ("Joint Sea-2024"):
    /// different outlets' reports of one named event share less wording than syndicated copies.
    public var sameExerciseThreshold: Double = 0.25
    /// How far back stories are remembered, in days (by publication date).
    public var storyWindowDays: Double = 14
    /// How many similar corpus documents a verdict lists.
    public var similarLimit: Int = 3
    /// Add confirmed alerts to the corpus.
    public var learn: Bool = false

    public init() {}
}

/// Decides, item by item, whether news reports a China–Russia joint drill: keyword rules and
/// corpus similarity give a score, near-duplicate detection groups outlets telling the same
/// story, and every verdict carries its reasons. Deterministic for a given input order.
///
/// Not thread-safe (it owns C stemmers and the story memory): one instance per pipeline.
public final class Classifier {
    public let settings: ClassifierSettings
    private let analyzer: Analyzer
    private let rules: [CompiledRule]
    private let program: QueryProgram
    private let ruleRoots: [Int]
    private let index: SimilarityIndex
    private let facts: FactExtractor
    private var stories: StoryTracker

    /// - Throws: `RuleError` naming the first rule whose query does not parse.
    public init(settings: ClassifierSettings, rules: [RuleDefinition], corpus: [CorpusDocument],
                gazetteer: Gazetteer) throws(RuleError) {
        self.settings = settings
        analyzer = Analyzer()
        let parser = QueryParser(analyzer: analyzer)
        var compiled: [CompiledRule] = []
        for rule in rules { compiled.append(try CompiledRule.compile(rule, parser: parser)) }
        self.rules = compiled
        let program = QueryProgram(analyzer: analyzer)
        ruleRoots = compiled.map { program.add($0.query) }
        self.program = program
        index = SimilarityIndex()
        index.build(corpus, analyzer: analyzer)
        facts = FactExtractor(gazetteer: gazetteer, parser: parser, analyzer: analyzer)
        stories = StoryTracker(window: settings.storyWindowDays * 86400)
    }

    /// Checks rule queries without building a classifier (for config validation).
    public static func validate(_ rules: [RuleDefinition]) -> [RuleError] {
        let parser = QueryParser(analyzer: Analyzer())
        return rules.compactMap { rule -> RuleError? in
            do throws(RuleError) { _ = try CompiledRule.compile(rule, parser: parser); return nil } catch { return error }
        }
    }

    public var corpus: [CorpusDocument] { index.documents }

    /// Judges one item, remembering relevant ones so that later copies become duplicates.
    public func judge(_ item: Item) -> Verdict {
        let body = Boilerplate.stripItem(item.text)
        let text = AnalyzedText(title: item.title, body: body, analyzer: analyzer)
        let matcher = QueryMatcher(text: text, analyzer: analyzer)
        var evaluator = QueryEvaluator(program: program, text: text)

        var logOdds = settings.bias
        var hits: [RuleHit] = []
        var vetoed = false
        var unfinished: [String] = []
        for (rule, root) in zip(rules, ruleRoots) {
            guard let (matched, spans) = evaluator.evaluateRule(root) else {
                unfinished.append(rule.definition.name)
                continue
            }
            guard matched else { continue }
            let definition = rule.definition
            let weight: Double
            switch definition.effect {
            case .raise: weight = definition.weight
            case .lower: weight = -abs(definition.weight)
            case .veto: weight = 0; vetoed = true
            }
            logOdds += weight
            hits.append(RuleHit(name: definition.name, effect: definition.effect, weight: weight, matched: matcher.words(spans)))
        }

        let vector = index.vector(tokens: text.tokens, titleCount: text.titleCount)
        let similar = index.mostSimilar(to: vector, limit: settings.similarLimit).map {
            SimilarDocument(document: index.documents[$0.index].id, title: index.documents[$0.index].title,
                            score: ($0.score * 1000).rounded() / 1000, terms: $0.terms)
        }
        let topSimilarity = similar.first?.score ?? 0
        logOdds += settings.similarityWeight * (topSimilarity - settings.similarityCenter)
        var score = vetoed ? 0 : 1 / (1 + exp(-logOdds))
        score = (score * 1000).rounded() / 1000

        // Facts matter only for items that may be relevant (alerts, digests, story identity);
        // most news is not, and skipping them there keeps classification cheap.
        let eventFacts = score >= 0.05 ? facts.extract(from: text) : EventFacts()
        var verdict = Verdict(kind: .ignore, score: score, rules: hits, similar: similar, facts: eventFacts)
        verdict.unfinishedRules = unfinished
        guard !vetoed else { return verdict }

        // Only a plausible item is compared with the stories; noise cannot join one, and most
        // news never pays for a MinHash signature.
        guard score >= 0.05 else { return verdict }
        let contentTerms = text.tokens.filter { !$0.isStopWord }.map(\.term)
        let fingerprint = StoryTracker.Fingerprint(
            itemID: item.id, vector: vector, signature: stories.hasher.signature(contentTerms),
            date: item.published, exercise: eventFacts.exercise, places: Set(eventFacts.places))
        let match = stories.bestMatch(for: fingerprint)

        if let match, match.similarity >= (match.sameExercise ? settings.sameExerciseThreshold : settings.duplicateThreshold),
           score >= settings.reviewThreshold || match.similarity >= 0.8 {
            verdict.kind = .duplicate
            verdict.story = match.story
            verdict.duplicateOf = match.firstItem
            verdict.storySimilarity = (match.similarity * 1000).rounded() / 1000
            stories.add(fingerprint, to: match.story)
        } else if score >= settings.alertThreshold {
            verdict.kind = .alert
            verdict.story = stories.startStory(with: fingerprint)
            if settings.learn {
                index.add(CorpusDocument(id: "learned-" + item.id, title: item.title, body: body), analyzer: analyzer)
            }
        } else if score >= settings.reviewThreshold {
            verdict.kind = .review
        }
        return verdict
    }

    /// Remembers an item judged earlier (by another process) as part of `story`, so that a
    /// later copy of it is recognised.
    public func remember(_ item: Item, story: String) {
        let body = Boilerplate.stripItem(item.text)
        let text = AnalyzedText(title: item.title, body: body, analyzer: analyzer)
        let vector = index.vector(tokens: text.tokens, titleCount: text.titleCount)
        let eventFacts = facts.extract(from: text)
        let fingerprint = StoryTracker.Fingerprint(
            itemID: item.id, vector: vector, signature: stories.hasher.signature(text.tokens.filter { !$0.isStopWord }.map(\.term)),
            date: item.published, exercise: eventFacts.exercise, places: Set(eventFacts.places))
        stories.remember(fingerprint, story: story)
    }

    /// Forgets every story (a new evaluation run).
    public func resetStories() {
        stories = StoryTracker(window: settings.storyWindowDays * 86400)
    }
}

/// Remembers relevant items of the last days and finds the story a new item belongs to.
struct StoryTracker {
    struct Fingerprint {
        var itemID: String
        var vector: TermVector
        var signature: [UInt64]
        var date: Date?
        var exercise: String?
        var places: Set<String>
    }

    struct Match {
        var story: String
        var firstItem: String
        var similarity: Double
        /// Both name the same exercise with the same year.
        var sameExercise: Bool
    }

    private struct Member {
        var fingerprint: Fingerprint
        var story: String
    }

    let hasher = MinHasher()
    let window: TimeInterval
    private var members: [Member] = []
    private var lsh: NearDuplicateIndex
    private var firstItems: [String: String] = [:]

    init(window: TimeInterval) {
        self.window = window
        lsh = NearDuplicateIndex(hasher: hasher)
    }

    /// The closest remembered story: candidates from MinHash buckets plus the most recent
    /// members, scored by the larger of TF-IDF cosine and estimated shingle Jaccard. Two
    /// items naming the same exercise with different years ("Joint Sea-2023" and
    /// "Joint Sea-2024") are never one story, however alike their wording.
    func bestMatch(for item: Fingerprint) -> Match? {
        var candidates = Set(lsh.candidates(item.signature))
        for index in max(0, members.count - 500)..<members.count { candidates.insert(index) }
        var best: Match?
        for index in candidates {
            let member = members[index]
            if let a = item.date, let b = member.fingerprint.date, abs(a.timeIntervalSince(b)) > window { continue }
            if Self.conflict(item, member.fingerprint) { continue }
            let similarity = max(item.vector.cosine(member.fingerprint.vector),
                                 hasher.similarity(item.signature, member.fingerprint.signature))
            let sameExercise = item.exercise != nil && item.exercise == member.fingerprint.exercise
                && item.exercise!.contains("-")
            // Rank by similarity, with a named-event match worth as much as close wording.
            let rank = sameExercise ? similarity + 0.25 : similarity
            if rank > (best.map { $0.sameExercise ? $0.similarity + 0.25 : $0.similarity } ?? 0) {
                best = Match(story: member.story, firstItem: firstItems[member.story] ?? member.fingerprint.itemID,
                             similarity: similarity, sameExercise: sameExercise)
            }
        }
        return best
    }

    /// A new story, named after its first item so the id is stable across runs.
    mutating func startStory(with item: Fingerprint) -> String {
        let story = "story-" + String(MinHasher.fnv1a(item.itemID), radix: 16).suffix(12)
        firstItems[story] = item.itemID
        add(item, to: story)
        return story
    }

    /// Adds a member to `story`, which starts with it when the story is new here.
    mutating func remember(_ item: Fingerprint, story: String) {
        if firstItems[story] == nil { firstItems[story] = item.itemID }
        add(item, to: story)
    }

    mutating func add(_ item: Fingerprint, to story: String) {
        members.append(Member(fingerprint: item, story: story))
        lsh.insert(item.signature)
        if members.count > 4096 { prune() }
    }

    /// Forgets members older than the window before the newest one, keeping memory bounded.
    private mutating func prune() {
        guard let newest = members.compactMap(\.fingerprint.date).max() else {
            members.removeFirst(members.count - 2048)
            rebuildBuckets()
            return
        }
        members.removeAll { member in
            guard let date = member.fingerprint.date else { return false }
            return newest.timeIntervalSince(date) > window
        }
        if members.count > 4096 { members.removeFirst(members.count - 2048) }
        rebuildBuckets()
    }

    private mutating func rebuildBuckets() {
        lsh = NearDuplicateIndex(hasher: hasher)
        for member in members { lsh.insert(member.fingerprint.signature) }
        let live = Set(members.map(\.story))
        firstItems = firstItems.filter { live.contains($0.key) }
    }

    /// Facts that rule out one story however alike the wording: different exercises (or the
    /// same series in different years), or places that do not overlap at all.
    static func conflict(_ a: Fingerprint, _ b: Fingerprint) -> Bool {
        if let x = a.exercise, let y = b.exercise, x != y {
            func series(_ name: String) -> String {
                guard let dash = name.lastIndex(of: "-"), Int(name[name.index(after: dash)...]) != nil else { return name.lowercased() }
                return String(name[..<dash]).lowercased()
            }
            // "Joint Sea" and "Joint Sea-2024" may be one story; "Joint Sea-2023" and
            // "Joint Sea-2024", or "Joint Sea" and "Vostok-2022", are not.
            if series(x) != series(y) || (x.contains("-") && y.contains("-")) { return true }
        }
        if !a.places.isEmpty && !b.places.isEmpty && a.places.isDisjoint(with: b.places) { return true }
        return false
    }
}
