import Foundation
import Locking
import Model

/// What the classifier reads in one item before scoring it: the value of every feature, and
/// the evidence a verdict shows (rules with the words they matched, similar documents, facts).
public struct Assessment: Sendable {
    /// One value per `Classifier.featureNames` entry.
    public var features: [Double]
    public var hits: [(definition: RuleDefinition, matched: [String])]
    public var vetoed: Bool
    public var unfinishedRules: [String]
    public var similar: [SimilarDocument]
    public var facts: EventFacts
    /// What the headline reports, for telling stories apart.
    var headline: StoryTracker.Headline
    /// `Verdict.words` (filled in by `explain`).
    public var words: [Verdict.Contribution] = []
    /// Whether the learnt words (`text:words`) count: a raise rule fired, and the item names
    /// China and Russia both taking part, or a series they hold together (see `TextWeights`).
    public var wordsApply: Bool
}

/// Decides, item by item, whether news reports a China–Russia joint drill: keyword rules and
/// corpus similarity give a score, near-duplicate detection groups outlets telling the same
/// story, and every verdict carries its reasons. Deterministic for a given input order.
///
/// `judge` is not thread-safe (the story memory changes with each item): one instance per
/// pipeline, judging items one after another; `read(_:)` reads a batch on every core.
public final class Classifier {
    public let settings: ClassifierSettings
    private let reader: Reader
    private var analyzer: Analyzer { reader.analyzer }
    private var index: SimilarityIndex { reader.index }
    private var stories: StoryTracker
    /// The names of the score's features, in the order of `Assessment.features`.
    public let featureNames: [String]
    /// The weights in force: trained, or the configuration's, with pinned rules applied.
    public let weights: ScoreWeights
    /// Each rule's weight in `weights`, by the rule's name: a verdict names its rules' weights,
    /// and making each one's feature name ("rule:" + name) to look it up cost a string a hit.
    private let ruleWeights: [String: Double]
    public let alertThreshold: Double
    public let reviewThreshold: Double

    /// - Throws: `RuleError` naming the first rule whose query does not parse.
    public init(settings: ClassifierSettings, rules: [RuleDefinition], corpus: [CorpusDocument],
                gazetteer: Gazetteer) throws(RuleError) {
        self.settings = settings
        let analyzer = Analyzer()
        let parser = QueryParser(analyzer: analyzer)
        var compiled: [CompiledRule] = []
        for rule in rules { compiled.append(try CompiledRule.compile(rule, parser: parser)) }
        let program = QueryProgram(analyzer: analyzer)
        let ruleRoots = compiled.map { program.add($0.query) }
        let index = SimilarityIndex()
        index.build(corpus, analyzer: analyzer)
        featureNames = ScoreWeights.featureNames(rules: rules)
        let weights = (settings.weights ?? ScoreWeights.handSet(settings, rules: rules)).applying(pins: rules)
        self.weights = weights
        ruleWeights = Dictionary(rules.map { ($0.name, weights.weights[ScoreWeights.rule($0.name)] ?? 0) }, uniquingKeysWith: { first, _ in first })
        stories = StoryTracker(window: settings.storyWindowDays * 86400)
        reader = Reader(settings: settings, analyzer: analyzer, rules: compiled, program: program, ruleRoots: ruleRoots,
                        index: index, facts: FactExtractor(gazetteer: gazetteer, parser: parser, program: program),
                        featureNames: featureNames, weights: weights, hasher: stories.hasher)
        (alertThreshold, reviewThreshold) = Reader.thresholds(settings, weights)
    }

    /// Compiles now what is otherwise compiled when the first item needs it (the learnt
    /// words): for a caller that times reading items apart from building the classifier.
    public func prepare() {
        _ = reader.words
    }

    /// Checks rule queries without building a classifier (for config validation).
    /// `validate` as the settings take it (`RuleCheck`): each failing rule with its problem.
    @Sendable public static func ruleProblems(_ rules: [RuleDefinition]) -> [(rule: String, problem: String)] {
        validate(rules).map { ($0.rule, $0.error.description) }
    }

    public static func validate(_ rules: [RuleDefinition]) -> [RuleError] {
        let parser = QueryParser(analyzer: Analyzer())
        return rules.compactMap { rule -> RuleError? in
            do throws(RuleError) { _ = try CompiledRule.compile(rule, parser: parser); return nil } catch { return error }
        }
    }

    public var corpus: [CorpusDocument] { index.documents }

    /// Reads one item: every feature's value and the evidence, without scoring or remembering.
    /// With `explained` false, the evidence lacks its words (see `Reader.Reasons`): what
    /// training needs, which reads only the features.
    public func assess(_ item: Item, explained: Bool = true) -> Assessment {
        let text = reader.text(of: item).text
        return explained ? reader.assess(text) : reader.measure(text).assessment
    }

    /// What training reads of one item: its features, unexplained, and its terms for the
    /// learnt words.
    public func assessForTraining(_ item: Item) -> (assessment: Assessment, terms: TermCounts) {
        let text = reader.text(of: item).text
        return (reader.measure(text).assessment, TermCounts(text))
    }

    /// Each feature's share of the log-odds, the largest (for or against) first; at most `limit`.
    func contributions(_ assessment: Assessment, limit: Int = 8) -> [Verdict.Contribution] {
        zip(featureNames.indices, assessment.features).compactMap { index, value -> Verdict.Contribution? in
            let name = featureNames[index]
            let share = value * reader.featureWeights[index]
            return abs(share) < 0.005 ? nil : Verdict.Contribution(feature: name, logOdds: (share * 100).rounded() / 100)
        }.sorted { abs($0.logOdds) > abs($1.logOdds) }.prefix(limit).map { $0 }
    }

    /// The score of an assessment: the logistic of its log-odds, 0 when a rule vetoed it.
    public func score(_ assessment: Assessment) -> Double { reader.score(assessment) }

    public typealias Reading = Reader.Reading

    /// What reads items, for tasks that read them side by side before they are judged here in
    /// order; nil for a classifier that learns, whose readings depend on the judgements before.
    public var concurrentReader: Reader? { settings.learn ? nil : reader }

    public func read(_ item: Item, reasons: Reader.Reasons = .always) -> Reading { reader.read(item, reasons: reasons) }

    /// Reads `items` on every core, in their order. Safe because reading touches only what
    /// is fixed once the classifier is built and what is locked (see `Reader`); the story
    /// memory is left to `judge`, one item after another. A classifier that learns
    /// (`learn = true`) changes its index as it judges, so a later item must be read after
    /// the earlier ones are judged: it reads one at a time, as `judge(_:)` would.
    ///
    /// `first` is run by one of the reading threads before it reads: judging the items read
    /// before, in order, while the other threads read these (as a scan judges one feed's
    /// items while the next feeds are read). It must not read from these items' results.
    public func read(_ items: [Item], reasons: Reader.Reasons = .always, after first: () -> Void = {}) -> [Reading] {
        let reader = self.reader
        return concurrentMap(items, workers: settings.learn ? 1 : ProcessInfo.processInfo.activeProcessorCount,
                             after: first) { reader.read($0, reasons: reasons) }
    }

    /// Judges one item, remembering relevant ones so that later copies become duplicates.
    public func judge(_ item: Item) -> Verdict {
        judge(item, read(item))
    }

    /// Judges an item already read (by `read(_:)`, for items in the order they are judged).
    public func judge(_ item: Item, _ reading: Reading) -> Verdict {
        let (body, assessment) = (reading.body, reading.assessment)
        let score = reading.score
        let hits = assessment.hits.map { hit in
            RuleHit(name: hit.definition.name, effect: hit.definition.effect,
                    weight: hit.definition.effect == .veto ? 0 : ruleWeights[hit.definition.name] ?? 0,
                    matched: hit.matched)
        }
        let eventFacts = assessment.facts
        var verdict = Verdict(kind: .ignore, score: score, rules: hits, similar: assessment.similar, facts: eventFacts)
        verdict.unfinishedRules = assessment.unfinishedRules
        if reading.explained {
            verdict.contributions = contributions(assessment)
            verdict.words = assessment.words
        }
        verdict.bias = weights.bias
        verdict.alertThreshold = alertThreshold
        guard !assessment.vetoed else { return verdict }

        // Only a plausible item is compared with the stories; noise cannot join one, and most
        // news never pays for a MinHash signature.
        guard let parts = reading.story else { return verdict }
        let fingerprint = Self.fingerprint(item, parts, eventFacts, assessment.headline, reader.facts)
        let match = stories.bestMatch(for: fingerprint, threshold: threshold(for:))

        if let match, score >= reviewThreshold || match.similarity >= 0.8 {
            verdict.kind = .duplicate
            verdict.story = match.story
            verdict.duplicateOf = match.firstItem
            verdict.storySimilarity = (match.similarity * 1000).rounded() / 1000
            stories.add(fingerprint, to: match.story)
        } else if score >= alertThreshold {
            verdict.kind = .alert
            verdict.story = stories.startStory(with: fingerprint)
            if settings.learn {
                index.add(CorpusDocument(id: "learned-" + item.id, title: item.title, body: body), analyzer: analyzer)
            }
        } else if score >= reviewThreshold {
            verdict.kind = .review
        }
        return verdict
    }

    /// The wording two reports of one story must share, by what else ties them.
    private func threshold(for evidence: StoryTracker.Evidence) -> Double {
        switch evidence {
        case .wording: settings.duplicateThreshold
        case .sameExercise: settings.sameExerciseThreshold
        // One named exercise and year told in two languages, or one event (the same sea, the
        // same days): wording cannot be shared across languages, and two reports of one patrol
        // share little; the facts are shared.
        case .sameExerciseOtherLanguage, .sameEvent: 0
        }
    }

    /// Remembers an item judged earlier (by another process) as part of `story`, so that a
    /// later copy of it is recognised.
    public func remember(_ item: Item, story: String) {
        stories.remember(Self.fingerprint(of: item, reader), story: story)
    }

    /// How many reports the story memory keeps at most: a restart need read no more than the
    /// newest this many relevant items (and their stories' first reports) to remember as much.
    public static var storyCapacity: Int { StoryTracker.capacity }

    /// Remembers items judged earlier, each with its story, in their order: their text is read
    /// on every core (a scan starts by reading the stories of the last two weeks again), a
    /// thousand at a time, as the tracker keeps only the last few thousand anyway. A classifier
    /// that learns reads one at a time, as `read(_:)` does.
    public func remember(_ items: [(item: Item, story: String)]) {
        let reader = self.reader
        let workers = settings.learn ? 1 : ProcessInfo.processInfo.activeProcessorCount
        for start in stride(from: 0, to: items.count, by: 1024) {
            let batch = items[start..<min(items.count, start + 1024)]
            let fingerprints = concurrentMap(batch.map(\.item), workers: workers) { Self.fingerprint(of: $0, reader) }
            for (fingerprint, pair) in zip(fingerprints, batch) { stories.remember(fingerprint, story: pair.story) }
        }
    }

    private static func fingerprint(of item: Item, _ reader: Reader) -> StoryTracker.Fingerprint {
        let text = reader.text(of: item).text
        let (eventFacts, headline) = reader.facts.extract(from: text)
        return fingerprint(item, reader.storyParts(text), eventFacts, headline, reader.facts)
    }

    private static func fingerprint(_ item: Item, _ parts: Reader.StoryParts, _ eventFacts: EventFacts,
                                    _ headline: StoryTracker.Headline, _ facts: FactExtractor) -> StoryTracker.Fingerprint {
        StoryTracker.Fingerprint(
            itemID: item.id, vector: parts.vector, signature: parts.signature,
            date: item.published, exercise: eventFacts.exercise, places: Set(eventFacts.places),
            area: facts.area(of: eventFacts.places), language: parts.language,
            headline: headline, leadMonth: item.published == nil ? LeadMonth.month(title: item.title, body: item.text) : nil,
            patrolNumber: parts.patrolNumber, isHeadlineOnly: parts.isHeadlineOnly)
    }

    /// Forgets every story (a new evaluation run).
    public func resetStories() {
        stories = StoryTracker(window: settings.storyWindowDays * 86400)
    }
}

extension Classifier {
    /// What reading an item needs: the rules compiled into one program, the gazetteer, the
    /// corpus index and the analyzer.
    ///
    /// `@unchecked Sendable`, proved here: every stored property is a `let`; the analyzer locks
    /// its own mutable state; the learnt words are compiled once, under their own lock; the
    /// rules' program is only read once built (`QueryProgram`, its
    /// prefixes a trie walked without a cache); the similarity index changes only
    /// while it is built (in `Classifier.init`, before any reading) and when a learning
    /// classifier adds an alert to it, and a learning classifier never reads concurrently
    /// (`Classifier.read(_:)`); the fact extractor's compiled entries are never mutated.
    public final class Reader: @unchecked Sendable {
        /// An item read: its text analysed and its features assessed, before any story is
        /// consulted. Reading depends on the item alone, so items can be read side by side.
        public struct Reading: Sendable {
            let body: String
            public let assessment: Assessment
            let score: Double
            /// Whether the assessment carries the words behind its reasons (see `Reasons`).
            let explained: Bool
            /// What a story match needs, for an item plausible enough to be compared with the
            /// stories (most news never pays for a MinHash signature); nil otherwise. Kept
            /// instead of the analysed text, which is ten times its size: a scan holds the
            /// readings of the feeds waiting for their turn.
            let story: StoryParts?
        }

        /// Which readings carry the words behind their reasons: the words each rule matched as
        /// the item writes them, the terms each similar document shares with it, and each
        /// feature's share of the score.
        public enum Reasons: Sendable {
            /// Every reading: what `classify`, `eval` and every verdict a person reads need.
            case always
            /// Only a plausible item's (see `plausibleScore`): every alert, duplicate and
            /// review is one. A scan keeps no reasons for an ignored item (the state's item
            /// table has none), and nearly all news is ignored: explaining it was an eighth of
            /// the time an item took to read.
            case whenPlausible
        }

        /// Below this score (or the review threshold, if a configuration sets it lower), or
        /// vetoed, an item is surely ignored: it can neither reach the review threshold nor join
        /// a story (a duplicate is compared with the stories only from here up).
        static let plausibleScore = 0.05
        let plausibleScore: Double

        /// What an assessment's words are found from, kept until its score says whether they
        /// are wanted: the spans of each rule hit, and the item's vector with the positions of
        /// its similar documents in the index.
        struct Grounds {
            var spans: [[Span]] = []
            var vector = TermVector()
            var documents: [Int] = []
            /// The item's terms and pairs by key, when the learnt words read them.
            var terms: [UInt64: Int]?
        }

        /// The parts of a story fingerprint that come from the text.
        struct StoryParts: Sendable {
            let vector: TermVector
            let signature: [UInt64]
            let language: Language?
            /// Which joint patrol the report numbers (`PatrolNumber`).
            let patrolNumber: Int?
            /// A headline and next to nothing else (`AnalyzedText.isHeadlineOnly`).
            let isHeadlineOnly: Bool
        }

        let settings: ClassifierSettings
        let analyzer: Analyzer
        let rules: [CompiledRule]
        /// Per rule, whether it is a veto (no feature of its own).
        let ruleIsVeto: [Bool]
        /// Per rule, whether it raises the score: the learnt words count only once one fired.
        let ruleIsRaise: [Bool]
        let program: QueryProgram
        let ruleRoots: [Int]
        let index: SimilarityIndex
        let facts: FactExtractor
        let featureNames: [String]
        let weights: ScoreWeights
        /// `weights` in the order of `featureNames`: the score and every verdict's explanation
        /// read them all, and looking each up by name hashed some eighty strings an item.
        let featureWeights: [Double]
        /// The learnt words of `weights`, by term id: compiled when an item first needs them
        /// (`words`). Interning the twenty thousand terms of a weights file was a tenth of a
        /// `drillwatch scan` that finds every feed unchanged and reads no item.
        private let compiledWords = Locked<CompiledWords?>(nil)
        /// Where `text:words` and its `headline:` copy are in `featureNames`.
        let wordsColumns: (whole: Int?, headline: Int?)
        let hasher: MinHasher
        var featureCount: Int { featureNames.count }

        /// The learnt words, compiled on first use; nil when the weights have none.
        var words: CompiledWords? {
            guard let text = weights.text else { return nil }
            return compiledWords.withLock { compiled in
                if let compiled { return compiled }
                let made = CompiledWords(text, analyzer: analyzer)
                compiled = made
                return made
            }
        }

        init(settings: ClassifierSettings, analyzer: Analyzer, rules: [CompiledRule], program: QueryProgram, ruleRoots: [Int],
             index: SimilarityIndex, facts: FactExtractor, featureNames: [String], weights: ScoreWeights, hasher: MinHasher) {
            self.settings = settings
            self.analyzer = analyzer
            self.rules = rules
            ruleIsVeto = rules.map { $0.definition.effect == .veto }
            ruleIsRaise = rules.map { $0.definition.effect == .raise }
            self.program = program
            self.ruleRoots = ruleRoots
            self.index = index
            self.facts = facts
            self.featureNames = featureNames
            self.weights = weights
            featureWeights = weights.values(of: featureNames)
            wordsColumns = (featureNames.firstIndex(of: ScoreWeights.textWords),
                            featureNames.firstIndex(of: ScoreWeights.headline(ScoreWeights.textWords)))
            self.hasher = hasher
            plausibleScore = min(Self.plausibleScore, Self.thresholds(settings, weights).review)
        }

        /// The alert and review thresholds in force: the weights file's, else the configuration's.
        static func thresholds(_ settings: ClassifierSettings, _ weights: ScoreWeights) -> (alert: Double, review: Double) {
            let alert = weights.alertThreshold ?? settings.alertThreshold
            return (alert, min(alert, weights.reviewThreshold ?? settings.reviewThreshold))
        }

        /// An item's text as it is judged (boilerplate stripped from the body), and analysed.
        func text(of item: Item) -> (body: String, text: AnalyzedText) {
            let body = Boilerplate.stripItem(item.text)
            return (body, AnalyzedText(title: item.title, body: body, analyzer: analyzer))
        }

        public func read(_ item: Item, reasons: Reasons = .always) -> Reading {
            let (body, text) = text(of: item)
            var (assessment, grounds) = measure(text)
            let score = score(assessment)
            let plausible = !assessment.vetoed && score >= plausibleScore
            let explained = plausible || reasons == .always
            if explained { explain(&assessment, grounds, text) }
            return Reading(body: body, assessment: assessment, score: score, explained: explained,
                           story: plausible ? storyParts(text) : nil)
        }

        /// Near the line: from half the review threshold up to the alert threshold, where the
        /// whole report (rather than a headline and a line) is likeliest to change the verdict.
        public func isBorderline(_ reading: Reading) -> Bool {
            let (alert, review) = Self.thresholds(settings, weights)
            return !reading.assessment.vetoed && reading.score >= review / 2 && reading.score < alert
        }

        /// The score of an assessment: the logistic of its log-odds, 0 when a rule vetoed it.
        func score(_ assessment: Assessment) -> Double {
            guard !assessment.vetoed else { return 0 }
            let probability = 1 / (1 + exp(-weights.logOdds(assessment.features, weights: featureWeights)))
            return (probability * 1000).rounded() / 1000
        }

        func storyParts(_ text: AnalyzedText) -> StoryParts {
            // The content words' terms read in place: filtered first, every token was copied
            // (three strings retained and released).
            var terms: [String] = []
            terms.reserveCapacity(text.tokens.count)
            for index in text.tokens.indices where !text.tokens[index].isStopWord { terms.append(text.tokens[index].term) }
            return StoryParts(vector: index.storyVector(tokens: text.tokens, titleCount: text.titleCount),
                              signature: hasher.signature(terms), language: text.language,
                              patrolNumber: PatrolNumber.number(in: text), isHeadlineOnly: text.isHeadlineOnly)
        }

        /// Every feature's value and the evidence with the words behind it.
        func assess(_ text: AnalyzedText) -> Assessment {
            var (assessment, grounds) = measure(text)
            explain(&assessment, grounds, text)
            return assessment
        }

        /// Every feature's value and the evidence (the rules that fired, the similar documents,
        /// the facts), without the words behind the rules and the documents: see `explain`.
        func measure(_ text: AnalyzedText) -> (assessment: Assessment, grounds: Grounds) {
            var grounds = Grounds()
            var evaluator = QueryEvaluator(program: program, text: text)
            var values = [Double](repeating: 0, count: featureCount)
            var hits: [(definition: RuleDefinition, matched: [String])] = []
            var vetoed = false
            var raised = false
            var unfinished: [String] = []
            var feature = 0
            // By index, a rule's definition copied only when it matched or ran out of budget:
            // a copy retains its strings, reference counts that the threads reading items share.
            for index in ruleRoots.indices {
                let isVeto = ruleIsVeto[index]
                defer { if !isVeto { feature += 1 } }
                guard let (matched, spans) = evaluator.evaluateRule(ruleRoots[index]) else {
                    unfinished.append(rules[index].definition.name)
                    continue
                }
                guard matched else { continue }
                if isVeto { vetoed = true } else { values[feature] = 1 }
                if ruleIsRaise[index] { raised = true }
                hits.append((rules[index].definition, []))
                grounds.spans.append(spans)
            }
            grounds.vector = index.vector(tokens: text.tokens, titleCount: text.titleCount)
            let best = index.mostSimilar(to: grounds.vector, limit: max(1, settings.similarLimit), explainTerms: 0)
            grounds.documents = best.prefix(settings.similarLimit).map(\.index)
            let similar = best.map {
                SimilarDocument(document: index.documents[$0.index].id, title: index.documents[$0.index].title,
                                score: ($0.score * 1000).rounded() / 1000, terms: [])
            }
            let (eventFacts, headline) = facts.extract(from: text, &evaluator)
            evaluator.finish()
            let joint = eventFacts.exercise.flatMap(facts.isJoint)
            values[feature] = similar.first?.score ?? 0
            values[feature + 1] = joint == true ? 1 : 0
            values[feature + 2] = eventFacts.exercise != nil && joint != true ? 1 : 0
            values[feature + 3] = eventFacts.countries.contains("China") && eventFacts.countries.contains("Russia") ? 1 : 0
            values[feature + 4] = eventFacts.places.isEmpty ? 0 : 1
            values[feature + 5] = text.language == .ru ? 1 : 0
            values[feature + 6] = text.language == .zh ? 1 : 0
            values[feature + 7] = facts.isVisiting(eventFacts) ? 1 : 0
            let wordsApply = raised && (values[feature + 1] == 1 || values[feature + 3] == 1)
            if wordsApply, let words {
                let terms = words.counts(text)
                values[feature + 8] = words.logOdds(terms)
                grounds.terms = terms
            }
            // Then text:headline-only, and every base feature again for a headline alone.
            let base = feature + 9
            if text.isHeadlineOnly {
                values[base] = 1
                for index in 0..<base { values[base + 1 + index] = values[index] }
            }
            let assessment = Assessment(features: values, hits: hits, vetoed: vetoed, unfinishedRules: unfinished,
                                        similar: Array(similar.prefix(settings.similarLimit)), facts: eventFacts, headline: headline,
                                        wordsApply: wordsApply)
            return (assessment, grounds)
        }

        /// The words behind an assessment's reasons: each rule hit's matched words, and the
        /// terms each similar document shares with the item, as the item writes them
        /// ("warships", not the stem "warship").
        func explain(_ assessment: inout Assessment, _ grounds: Grounds, _ text: AnalyzedText) {
            let matcher = QueryMatcher(text: text, analyzer: analyzer)
            for (hit, spans) in zip(assessment.hits.indices, grounds.spans) { assessment.hits[hit].matched = matcher.words(spans) }
            let terms = index.sharedTerms(grounds.vector, with: grounds.documents, writtenIn: text.tokens)
            for (document, shared) in zip(assessment.similar.indices, terms) { assessment.similar[document].terms = shared }
            if let terms = grounds.terms, let words, let column = wordsColumns.whole {
                // A term's share of the score: its share of the words' log-odds (before their
                // clip) times the weight the words have, and their headline copy's for a headline.
                var weight = featureWeights[column]
                if text.isHeadlineOnly, let headline = wordsColumns.headline { weight += featureWeights[headline] }
                assessment.words = words.strongest(terms, in: text, limit: Self.explainedWords).compactMap { written, share in
                    let logOdds = (weight * share * 100).rounded() / 100
                    return logOdds == 0 ? nil : Verdict.Contribution(feature: written, logOdds: logOdds)
                }
            }
        }

        /// How many of the learnt words a verdict names.
        static let explainedWords = 6
    }
}

/// An exercise name as facts give it ("Joint Sea-2024", "Zapad/Interaction-2021", "Vostok"):
/// its series and year.
struct ExerciseName {
    let series: String
    let year: Int?

    init(_ name: String) {
        if let dash = name.lastIndex(of: "-"), let year = Int(name[name.index(after: dash)...]) {
            series = name[..<dash].lowercased()
            self.year = year
        } else {
            series = name.lowercased()
            year = nil
        }
    }

    init(series: String, year: Int?) {
        self.series = series
        self.year = year
    }

    /// One series, also when one name is the short form of the other: Russian reports call
    /// Zapad/Interaction-2021 «Взаимодействие-2021» (Interaction-2021).
    func isSeries(of other: ExerciseName) -> Bool {
        series == other.series || series.hasSuffix("/" + other.series) || other.series.hasSuffix("/" + series)
    }

    /// One exercise: the same series and the same year.
    func isSame(as other: ExerciseName) -> Bool {
        year != nil && year == other.year && isSeries(of: other)
    }
}

/// Remembers relevant items of the last days and finds the story a new item belongs to.
struct StoryTracker {
    /// What a report is compared by. A class, though it never changes: a new item is compared
    /// with hundreds of members, and copying a struct of ten fields (sets, arrays, strings) for
    /// each comparison was a third of the time spent finding its story. Immutable (`let` only,
    /// every field `Sendable`), so sharing it is safe.
    final class Fingerprint: Sendable {
        let itemID: String
        let vector: TermVector
        let signature: [UInt64]
        let date: Date?
        let exercise: String?
        let places: Set<String>
        /// `places` with the larger places they lie within (`FactExtractor.area`): what rules
        /// a pair out as places apart. Not what ties a pair: "Vladivostok" in one report and
        /// "the Sea of Japan" in another do not make a port call and a patrol one event.
        let area: Set<String>
        let language: Language?
        let headline: Headline
        /// `exercise` read as series and year, and the year of `date` (UTC): a new item is
        /// compared with hundreds of members, and each comparison parsed the names again and
        /// made a calendar. A series named without a year in a dated report ("this year's
        /// Joint Sea exercise") takes the date's year: reports name the exercise under way by
        /// its series alone, and a report of another year is history, not this story.
        let exerciseName: ExerciseName?
        let dateYear: Int?
        /// The month of the report: of its date, or, undated, of the first day and month its lead
        /// gives (`LeadMonth`); nil when neither is known.
        let month: Int?
        /// Which joint patrol it says it tells of, from the second on (`PatrolNumber`).
        let patrolNumber: Int?
        /// Only a headline: its wording is a few words, alike in reports of different events.
        let isHeadlineOnly: Bool

        init(itemID: String, vector: TermVector, signature: [UInt64], date: Date?, exercise: String?,
             places: Set<String>, area: Set<String>? = nil, language: Language?, headline: Headline, leadMonth: Int? = nil,
             patrolNumber: Int? = nil, isHeadlineOnly: Bool = false) {
            self.itemID = itemID
            self.vector = vector
            self.signature = signature
            self.date = date
            self.exercise = exercise
            self.places = places
            self.area = area ?? places
            self.language = language
            self.headline = headline
            let dateYear = date.map(StoryTracker.year)
            exerciseName = exercise.map(ExerciseName.init).map { name in
                name.year != nil || dateYear == nil ? name : ExerciseName(series: name.series, year: dateYear)
            }
            self.dateYear = dateYear
            month = date.map(StoryTracker.month) ?? leadMonth
            self.patrolNumber = patrolNumber
            self.isHeadlineOnly = isHeadlineOnly
        }

        /// The year of the named exercise ("Joint Sea-2024" → 2024).
        var exerciseYear: Int? { exerciseName?.year }
    }

    /// What a report's headline says happened.
    enum Activity { case exercise, patrol }

    /// Where it happened, by the forces the headline names: aircraft (bombers, fighters), ships,
    /// submarines, or missile defence. China and Russia hold a joint air patrol or a
    /// missile-defence drill once or twice a year; two reports of one within two days are of
    /// one event.
    enum Domain { case air, sea, undersea, missileDefence }

    struct Headline: Equatable {
        var activity: Activity?
        var domain: Domain?
        /// The exercise of the facts is named in the headline or the lead, not only further
        /// down (as background: "… after Joint Sea-2025" in a report of an air patrol).
        var namesExerciseInLead = false
    }

    /// What, besides wording, says two items tell one story.
    enum Evidence {
        case wording
        /// Both name the same exercise with the same year.
        case sameExercise
        /// The same, in two languages.
        case sameExerciseOtherLanguage
        /// Within two days of each other: a joint patrol at the same place, or in two languages
        /// an exercise at the same place or a patrol where one names no place.
        case sameEvent
    }

    struct Match {
        var story: String
        var firstItem: String
        var similarity: Double
        var evidence: Evidence
    }

    private struct Member {
        var fingerprint: Fingerprint
        var story: String
        /// The story's first report (`founders`), kept with each member: a new item is
        /// compared with hundreds of members, and looking the founder up by the story's name
        /// hashed a string each time.
        var founder: Fingerprint?
    }

    let hasher = MinHasher()
    let window: TimeInterval
    /// The most members kept: past it, those older than the window go, then the older half.
    static let capacity = 4096
    private var members: [Member] = []
    private var lsh: NearDuplicateIndex
    private var firstItems: [String: String] = [:]
    /// Each story's first report: a new one must not conflict with it either, or a chain of
    /// reports each close to the last (the May phase of an exercise, an undated report naming
    /// only the series, the August phase) would join what the first and last rule out.
    private var founders: [String: Fingerprint] = [:]
    /// The item being matched: its vector's weights by term id (0 elsewhere), so that its
    /// cosine with a member is one pass over the member's terms, not a merge of two lists —
    /// the same products added in the same order (ascending term), a term the item lacks
    /// adding 0. Zero again after each `bestMatch`.
    private var spread: [Float] = []

    init(window: TimeInterval) {
        self.window = window
        lsh = NearDuplicateIndex(hasher: hasher)
    }

    /// The closest remembered story: candidates from MinHash buckets plus the most recent
    /// members, scored by the larger of TF-IDF cosine and estimated shingle Jaccard. Facts
    /// rule a pair out (different exercises or years, places apart, dates apart) or tie it
    /// across languages; an item without a date joins a story only on a named exercise or on
    /// close wording, so an undated report cannot pull in another year's event.
    ///
    /// Only members whose wording reaches `threshold` for what ties them count: the closest
    /// member by rank may be one that fails its threshold (a report in the item's own language
    /// sharing little wording) while another, in a second language and naming the same
    /// exercise, qualifies; the item belongs to that one's story, not to a new one.
    mutating func bestMatch(for item: Fingerprint, threshold: (Evidence) -> Double) -> Match? {
        let terms = item.vector.terms
        let spreads = terms.first.map { $0 >= 0 } ?? false  // ascending: the first is the least
        if spreads, let last = terms.last, Int(last) >= spread.count {
            spread += [Float](repeating: 0, count: Int(last) + 1 - spread.count)
        }
        if spreads { for (term, weight) in zip(terms, item.vector.weights) { spread[Int(term)] = weight } }
        defer { if spreads { for term in terms { spread[Int(term)] = 0 } } }
        func cosine(_ member: TermVector) -> Double {
            guard spreads else { return item.vector.cosine(member) }
            var sum: Float = 0
            spread.withUnsafeBufferPointer { weights in
                for (term, weight) in zip(member.terms, member.weights) where term >= 0 && Int(term) < weights.count {
                    sum += weights[Int(term)] * weight
                }
            }
            return Double(min(1, sum))
        }
        // The near-duplicates the LSH buckets find among the older members, then every one of
        // the last 500: in the order the members came, each once, so that a tie goes to the
        // earliest (stories must not depend on the order a set hands them out in). The
        // buckets' list is sorted already; a set of the 500 and a sort cost a third of this.
        let recent = max(0, members.count - 500)
        var candidates = lsh.candidates(item.signature)
        candidates.removeSubrange((candidates.firstIndex { $0 >= recent } ?? candidates.count)...)
        candidates.append(contentsOf: recent..<members.count)
        var best: Match?
        var bestRank = 0.0
        for index in candidates {
            let member = members[index].fingerprint
            // Dates further apart than any window rule a pair out before its facts are read.
            let apart = item.date.flatMap { a in member.date.map { b in abs(a.timeIntervalSince(b)) } }
            if let apart, apart > max(Self.namedExerciseWindow, window) { continue }
            let evidence = Self.evidence(item, member)
            // A named exercise and year is one event however long it is reported on (the
            // announcement, the opening, the close): a month and more, not the usual window.
            let named = evidence == .sameExercise || evidence == .sameExerciseOtherLanguage
            if let apart, apart > (named ? Self.namedExerciseWindow : window) { continue }
            if Self.conflict(item, member) { continue }
            if let founder = members[index].founder, Self.conflict(item, founder) { continue }
            let similarity = max(cosine(member.vector), hasher.similarity(item.signature, member.signature))
            if (item.date == nil || member.date == nil) && !named
                && similarity < (item.isHeadlineOnly || member.isHeadlineOnly ? Self.undatedHeadlineSimilarity : Self.undatedSimilarity) { continue }
            if similarity < threshold(evidence) { continue }
            // Rank by similarity, with a fact that ties the two worth as much as close wording.
            let rank = evidence == .wording ? similarity : similarity + 0.25
            if rank > bestRank {
                bestRank = rank
                best = Match(story: members[index].story, firstItem: firstItems[members[index].story] ?? member.itemID,
                             similarity: similarity, evidence: evidence)
            }
        }
        return best
    }

    static let namedExerciseWindow: TimeInterval = 60 * 86400
    /// The wording an undated report must share to join a story it names no exercise of: more
    /// than `duplicateThreshold` (0.5), as no date rules out another year. On the train split
    /// 0.6 groups 17 of 18 syndicated pairs (0.8: 15) and merges no more events than 0.8 did;
    /// 0.5 merges half as many again.
    static let undatedSimilarity = 0.6
    /// The same when either report is only a headline: a few words, and the words of a
    /// headline of one year's drill are those of the next ("Russia and China hold joint naval
    /// drills in the Sea of Japan"). On the train split judged on headlines alone, by this
    /// threshold, syndicated pairs grouped and pairs of different events merged: 0.6 107/178
    /// and 746, 0.7 61 and 334, 0.8 57 and 122, 0.9 49 and 73. A merge hides an event; a
    /// copy not grouped is one alert more. Full texts are not affected.
    static let undatedHeadlineSimilarity = 0.8

    static func evidence(_ a: Fingerprint, _ b: Fingerprint) -> Evidence {
        let otherLanguage = a.language != nil && b.language != nil && a.language != b.language
        if areOfSameExercise(a, b) { return otherLanguage ? .sameExerciseOtherLanguage : .sameExercise }
        guard let x = a.date, let y = b.date, abs(x.timeIntervalSince(y)) <= 2 * 86400 else { return .wording }
        // Within two days, a joint patrol where the other report was (the two countries hold a
        // few a year, not two in two days): one event in any language, however it is told
        // ("jets intercept bombers near Alaska", "bombers patrol the Bering Sea near Alaska").
        // The same for a joint air patrol, submarine patrol or missile-defence drill, told by
        // its forces alone ("bombers fly near Japan", "19 warplanes enter Korea's air defence
        // zone"): China and Russia hold one or two of each a year. Ships are not enough: an
        // exercise and the patrol after it are both told by their ships.
        if let domain = a.headline.domain, domain == b.headline.domain, domain != .sea { return .sameEvent }
        let patrol = a.headline.activity == .patrol || b.headline.activity == .patrol
        if patrol && !a.places.isDisjoint(with: b.places) { return .sameEvent }
        // In two languages, also an exercise at the same place, or a patrol told with no place
        // ("Russia and China patrol near Japan"). Not an exercise without a place (on the train
        // split that merged 24 more pairs of events and grouped 1 more), nor, in one language,
        // an exercise at the same place (12 more merges): wording decides those.
        if otherLanguage && (!a.places.isDisjoint(with: b.places) || (patrol && (a.places.isEmpty || b.places.isEmpty))) {
            return .sameEvent
        }
        return .wording
    }

    /// A new story, named after its first item so the id is stable across runs.
    mutating func startStory(with item: Fingerprint) -> String {
        let story = "story-" + String(MinHasher.fnv1a(item.itemID), radix: 16).suffix(12)
        firstItems[story] = item.itemID
        founders[story] = item
        add(item, to: story)
        return story
    }

    /// Adds a member to `story`, which starts with it when the story is new here.
    mutating func remember(_ item: Fingerprint, story: String) {
        if firstItems[story] == nil {
            firstItems[story] = item.itemID
            founders[story] = item
        }
        add(item, to: story)
    }

    mutating func add(_ item: Fingerprint, to story: String) {
        members.append(Member(fingerprint: item, story: story, founder: founders[story]))
        lsh.insert(item.signature)
        if members.count > Self.capacity { prune() }
    }

    /// Forgets members older than the window before the newest one, keeping memory bounded.
    private mutating func prune() {
        guard let newest = members.compactMap(\.fingerprint.date).max() else {
            members.removeFirst(members.count - Self.capacity / 2)
            rebuildBuckets()
            return
        }
        members.removeAll { member in
            guard let date = member.fingerprint.date else { return false }
            return newest.timeIntervalSince(date) > window
        }
        if members.count > Self.capacity { members.removeFirst(members.count - Self.capacity / 2) }
        rebuildBuckets()
    }

    private mutating func rebuildBuckets() {
        lsh = NearDuplicateIndex(hasher: hasher)
        for member in members { lsh.insert(member.fingerprint.signature) }
        let live = Set(members.map(\.story))
        firstItems = firstItems.filter { live.contains($0.key) }
        founders = founders.filter { live.contains($0.key) }
    }

    /// Facts that rule out one story however alike the wording: different exercises (or the
    /// same series in different years), places that do not overlap at all (a port overlaps
    /// the sea it lies on: `area`), or an exercise and a patrol.
    static func conflict(_ a: Fingerprint, _ b: Fingerprint) -> Bool {
        if let x = a.exercise, let y = b.exercise, x != y, let first = a.exerciseName, let second = b.exerciseName {
            // "Joint Sea" and "Joint Sea-2024" may be one story; "Joint Sea-2023" and
            // "Joint Sea-2024", or "Joint Sea" and "Vostok-2022", are not.
            if !first.isSeries(of: second) { return true }
            if let one = first.year, let other = second.year, one != other { return true }
        }
        if !a.area.isEmpty && !b.area.isEmpty && a.area.isDisjoint(with: b.area) { return true }
        if let x = a.headline.activity, let y = b.headline.activity, x != y { return true }
        // The second and the third joint air patrol, announced in the same words a year apart.
        if let x = a.patrolNumber, let y = b.patrolNumber, x != y { return true }
        // Ships and aircraft: a naval patrol and an air patrol the same week, the December 2025
        // missile-defence drill and the air patrol after it. One named exercise may be told
        // by its ships in one report and its aircraft in another, when both are about it: both
        // recalling it below the lead (a submarine patrol and the ships' patrol after the same
        // exercise) is no tie.
        if let x = a.headline.domain, let y = b.headline.domain, x != y, !Self.areOfSameExercise(a, b) { return true }
        // A named exercise of one year and a report, naming none, dated years away: "Joint
        // Sea-2014" in a 2025 article is history, not this story. (A year either side is an
        // announcement or a late report.)
        if let year = a.exerciseYear, b.exerciseYear == nil, let dateYear = b.dateYear, abs(year - dateYear) > 1 { return true }
        if let year = b.exerciseYear, a.exerciseYear == nil, let dateYear = a.dateYear, abs(year - dateYear) > 1 { return true }
        // A report without a date whose lead says when ("on 21 August") and a report of three
        // months and more away: the two phases of Joint Sea-2015 (May and August), the air
        // patrols of July and November 2024. Dated reports have their windows already.
        if a.date == nil || b.date == nil, let x = a.month, let y = b.month, Self.monthsApart(x, y) >= 3 { return true }
        return false
    }

    /// Months between two months of a year, either way round the year (December to January: 1).
    static func monthsApart(_ x: Int, _ y: Int) -> Int {
        let difference = abs(x - y)
        return min(difference, 12 - difference)
    }

    private static func nameSameExercise(_ a: Fingerprint, _ b: Fingerprint) -> Bool {
        guard let x = a.exerciseName, let y = b.exerciseName else { return false }
        return x.isSame(as: y)
    }

    /// Both name the same exercise, and both where a report says what it is about.
    private static func areOfSameExercise(_ a: Fingerprint, _ b: Fingerprint) -> Bool {
        nameSameExercise(a, b) && a.headline.namesExerciseInLead && b.headline.namesExerciseInLead
    }

    static func year(of date: Date) -> Int {
        utcCalendar.component(.year, from: date)
    }

    static func month(of date: Date) -> Int {
        utcCalendar.component(.month, from: date)
    }

    private static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
