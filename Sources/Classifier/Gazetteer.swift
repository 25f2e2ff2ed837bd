import Model

/// Extracts event facts from analysed text with the gazetteer.
struct FactExtractor {
    /// A class: the extractor walks a text's candidates, and a struct of arrays and strings is
    /// retained field by field at every step.
    private final class Compiled {
        let entry: Gazetteer.Entry
        let queries: [Int]
        /// Per query, a term it cannot match without (see `QueryProgram.anchorTerm`): how a
        /// text's words find the entries they may name (`entriesByAnchor`).
        let anchors: [Int32?]

        init(entry: Gazetteer.Entry, queries: [Int], anchors: [Int32?]) {
            self.entry = entry
            self.queries = queries
            self.anchors = anchors
        }

        /// Where the text names the entry (an alias whose words it lacks is answered at once,
        /// see `QueryEvaluator`).
        func spans(_ matcher: inout QueryEvaluator) -> [Span] {
            queries.flatMap { matcher.evaluate($0).spans }
        }
    }

    private let program: QueryProgram

    private let exercises: [Compiled]
    private let places: [Compiled]
    private let countries: [Compiled]
    /// The entries a term may begin to name: for each anchor term, the entries with a query
    /// anchored on it, as `Candidates` numbers them. A text holds a hundred or so distinct
    /// terms and the gazetteer over a thousand names, so the text's terms find the few
    /// entries worth evaluating, instead of every name looking itself up in the text.
    private let entriesByAnchor: ListsByKey<Int>
    /// Entries with a query that has no anchor term: tried for every text.
    private let unanchored: [Int]
    private let drillWords: Int
    private let exerciseWords: Int
    private let patrolWords: Int
    private let airWords: Int
    private let seaWords: Int
    private let submarineWords: Int
    private let missileDefenceWords: Int
    /// Words that make the exercise named next to them one that came before the news ("after
    /// Northern/Interaction-2023, the ships will patrol …"): before the name, or in Chinese after it.
    private let afterWords: Int
    private let chineseAfterWords: Int
    /// The gazetteer's series held by China and Russia together, and the others.
    private let jointSeries: Set<String>
    private let otherSeries: Set<String>
    /// Joint series China joins in some years only, with those years.
    private let jointYears: [String: Set<Int>]
    private let placeCountries: [String: String]
    /// Each place with `within` and what those lie within in turn (Vladivostok: Primorye, the
    /// Sea of Japan, the Russian Far East).
    private let placesAround: [String: Set<String>]
    private static let months: Set<String> = ["january", "february", "march", "april", "may", "june", "july", "august",
                                              "september", "october", "november", "december", "in", "on", "since", "by",
                                              "the", "from", "until", "of", "for", "and", "late", "early", "mid"]

    /// The gazetteer's names join `program` (the rules'): one evaluator per text finds the
    /// words of both, and a sub-query they share is evaluated once.
    init(gazetteer: Gazetteer, parser: QueryParser, program: QueryProgram) {
        self.program = program
        func compile(_ entries: [Gazetteer.Entry]) -> [Compiled] {
            entries.map { entry in
                let queries = ([entry.name] + entry.aliases).compactMap {
                    (try? parser.parse("\"" + $0.replacingOccurrences(of: "\"", with: " ") + "\"")).map(program.add)
                }
                return Compiled(entry: entry, queries: queries, anchors: queries.map(program.anchorTerm))
            }
        }
        exercises = compile(gazetteer.exercises)
        jointSeries = Set(gazetteer.exercises.filter(\.joint).map(\.name))
        otherSeries = Set(gazetteer.exercises.filter { !$0.joint }.map(\.name))
        jointYears = Dictionary(gazetteer.exercises.filter { $0.joint && !$0.jointYears.isEmpty }.map { ($0.name, Set($0.jointYears)) },
                                uniquingKeysWith: { $0.union($1) })
        placeCountries = Dictionary(gazetteer.places.compactMap { place in place.country.map { (place.name, $0) } },
                                    uniquingKeysWith: { first, _ in first })
        places = compile(gazetteer.places)
        placesAround = Self.placesAround(gazetteer.places)
        countries = compile(gazetteer.countries)
        var entriesByAnchor = ListsByKey<Int>()
        var unanchored: [Int] = []
        for (list, entries) in [exercises, places, countries].enumerated() {
            for (index, entry) in entries.enumerated() {
                let number = Candidates.number(list: list, index: index)
                for anchor in Set(entry.anchors) {
                    if let anchor { entriesByAnchor.append(number, to: Int(anchor)) } else { unanchored.append(number) }
                }
            }
        }
        self.entriesByAnchor = entriesByAnchor
        self.unanchored = unanchored
        // The rules carry the full vocabulary; these words tell what a headline reports, where
        // a country takes part and whether a codename is an exercise's.
        let exercise = "drill* OR exercis* OR manoeuv* OR maneuv* OR wargam* OR (war NEAR/0 game*) OR учени* OR маневр* OR 演习 OR 演练 OR 军演 OR 联演"
        let patrol = "patrol* OR патрул* OR 巡航 OR 巡逻"
        exerciseWords = program.add((try? parser.parse(exercise)) ?? .or([]))
        patrolWords = program.add((try? parser.parse(patrol)) ?? .or([]))
        // Both, in each language alike: with patrols in English only, «российских
        // бомбардировщиков … патрулировали вместе с китайскими» named no Russia.
        drillWords = program.add((try? parser.parse(exercise + " OR " + patrol)) ?? .or([]))
        // The forces a headline names, for `Domain` (the vocabulary is the rules', the words
        // for the forces alone).
        airWords = program.add((try? parser.parse("""
            bomber* OR warplan* OR aircraft OR jet* OR plane* OR fighter* OR "air patrol*" OR "air force*" OR aerospace
            OR бомбардировщик* OR самолет* OR самолёт* OR истребител* OR авиаци* OR ввс OR вкс OR ту-95* OR ту-160*
            OR 轰炸机 OR 战机 OR 军机 OR 飞机 OR 战斗机 OR 空中 OR 空军 OR 轰6 OR "轰 6"
            """)) ?? .or([]))
        seaWords = program.add((try? parser.parse("""
            warship* OR ship* OR vessel* OR navy OR navies OR naval OR fleet* OR flotilla* OR destroyer* OR frigat* OR "coast guard*"
            OR корабл* OR флот* OR вмф OR вмс OR эсминц* OR фрегат* OR морск* OR "береговой охран*" OR "береговые охран*"
            OR 军舰 OR 舰艇 OR 舰队 OR 海军 OR 驱逐舰 OR 护卫舰 OR 海警 OR 海上
            """)) ?? .or([]))
        afterWords = program.add((try? parser.parse("after OR following OR после OR вслед")) ?? .or([]))
        chineseAfterWords = program.add((try? parser.parse("结束后 OR 之后")) ?? .or([]))
        submarineWords = program.add((try? parser.parse("submarin* OR субмарин* OR подлодк* OR подводн* OR 潜艇 OR 潜舰")) ?? .or([]))
        missileDefenceWords = program.add((try? parser.parse("""
            anti-missile OR "anti missile" OR "missile defence" OR "missile defense" OR антиракет* OR противоракет*
            OR 反导 OR 反飞弹 OR 导弹防御
            """)) ?? .or([]))
    }

    /// The facts of `text`, and what its headline reports.
    func extract(from text: AnalyzedText) -> (facts: EventFacts, headline: StoryTracker.Headline) {
        var matcher = QueryEvaluator(program: program, text: text)
        defer { matcher.finish() }
        return extract(from: text, &matcher)
    }

    /// The same with an evaluator of `text` for this extractor's program, which may have
    /// evaluated rules already; the facts get a budget of their own.
    func extract(from text: AnalyzedText, _ matcher: inout QueryEvaluator) -> (facts: EventFacts, headline: StoryTracker.Headline) {
        matcher.renewBudget()
        var facts = EventFacts()
        let candidates = Candidates(text, entriesByAnchor, unanchored)
        let exercise = exercise(candidates.entries(0, of: exercises), &matcher, text)
        facts.exercise = exercise?.name

        var placeSpans: [Span] = []
        var placeHits: [(Int, String)] = []
        var jointPlaceSpans: [(country: String, span: Span)] = []
        for place in candidates.entries(1, of: places) {
            let spans = place.spans(&matcher)
            if let first = spans.lazy.map(\.first).min() {
                placeHits.append((first, place.entry.name))
                placeSpans += spans
                if let country = place.entry.country, country == "China" || country == "Russia" {
                    jointPlaceSpans += spans.map { (country, $0) }
                }
            }
        }
        facts.places = placeHits.sorted { $0.0 < $1.0 }.map(\.1)

        let drillPositions = matcher.evaluate(drillWords).spans.map { text.tokens[$0.first].position }
        var countryHits: [(Int, String)] = []
        let window = Self.participantWindow(text.language)
        for country in candidates.entries(2, of: countries) {
            // Where the country takes part: its first mention in the headline or near a drill
            // word. Read span by span, with no list of spans made for it (this runs for every
            // country a text names).
            var first: Int?
            for query in country.queries {
                for span in matcher.evaluate(query).spans {
                    // "Japan" inside "Sea of Japan" is a place, not a participant.
                    guard !placeSpans.contains(where: { $0.first <= span.first && span.last <= $0.last }) else { continue }
                    let position = text.tokens[span.first].position
                    guard text.isTitle(span.first) || drillPositions.contains(where: { abs($0 - position) <= window }) else { continue }
                    first = min(first ?? span.first, span.first)
                }
            }
            if let first { countryHits.append((first, country.entry.name)) }
        }
        // A place of China or Russia near a drill word is its country taking part when the
        // text does not name that country itself («во Владивостоке начались совместные учения с
        // китайскими моряками»): reports from a region name its forces by the region.
        for (country, span) in jointPlaceSpans where !countryHits.contains(where: { $0.1 == country }) {
            let position = text.tokens[span.first].position
            if drillPositions.contains(where: { abs($0 - position) <= window }) { countryHits.append((span.first, country)) }
        }
        facts.countries = countryHits.sorted { $0.0 < $1.0 }.map(\.1)
        let exerciseInLead = exercise.map {
            $0.index < text.titleCount + Self.leadTokens(text.language) && !isRecalledAsPast($0.index, &matcher, text)
        } ?? false
        return (facts, StoryTracker.Headline(activity: activity(&matcher, text), domain: domain(&matcher, text), namesExerciseInLead: exerciseInLead))
    }

    /// Whether the exercise named at token `index` is told as what came before ("after the
    /// Joint Sea-2025 exercise", «после учений «Север. Взаимодействие-2023»», "…演习结束后"):
    /// the report is of what follows it (a patrol, a port call), not of the exercise.
    private func isRecalledAsPast(_ index: Int, _ matcher: inout QueryEvaluator, _ text: AnalyzedText) -> Bool {
        // Counted in tokens, not positions: a name written with a full stop inside it
        // («Север. Взаимодействие-2023») is two sentences apart by position.
        let sameField = { (other: Int) in text.isTitle(other) == text.isTitle(index) }
        if matcher.evaluate(afterWords).spans.contains(where: { (index - 6..<index).contains($0.first) && sameField($0.first) }) {
            return true
        }
        return matcher.evaluate(chineseAfterWords).spans.contains { (index + 1...index + 12).contains($0.first) && sameField($0.first) }
    }

    /// Body tokens that make a report's lead: its first paragraph or two, sixty words. Chinese
    /// is read in character bigrams, about one a character, and sixty words of an English lead
    /// are about 110 characters of a Chinese one (the exercise named in a Chinese lead's second
    /// sentence was past sixty).
    static func leadTokens(_ language: Language?) -> Int { language == .zh ? 110 : 60 }

    /// How close (in positions) a country must be to a drill word to take part in it. Chinese
    /// positions are character bigrams, nearly two to a word, as `leadTokens` counts them:
    /// with the words' 25, the first countries of "中国、俄罗斯、哈萨克斯坦、吉尔吉斯斯坦、塔吉克斯坦
    /// 五国军队参加的……联合反恐演习" were too far from 演习 to take part. Both stay within a
    /// sentence (`Analyzer.sentenceGap`).
    static func participantWindow(_ language: Language?) -> Int { language == .zh ? 45 : 25 }

    /// What the headline reports: an exercise or a patrol (nil: both, or neither). Navies
    /// often patrol together right after an exercise, in the same sea, in the same week; the
    /// headline tells the two stories apart.
    private func activity(_ matcher: inout QueryEvaluator, _ text: AnalyzedText) -> StoryTracker.Activity? {
        let exercise = matcher.evaluate(exerciseWords).spans.contains { text.isTitle($0.first) }
        let patrol = matcher.evaluate(patrolWords).spans.contains { text.isTitle($0.first) }
        switch (exercise, patrol) {
        case (true, false): return .exercise
        case (false, true): return .patrol
        default: return nil
        }
    }

    /// Where the headline says it happened: missile defence, else air, sea or under it when it
    /// names the forces of one alone ("air and sea drill", "destroyers and a submarine": none).
    private func domain(_ matcher: inout QueryEvaluator, _ text: AnalyzedText) -> StoryTracker.Domain? {
        func inTitle(_ query: Int) -> Bool { matcher.evaluate(query).spans.contains { text.isTitle($0.first) } }
        if inTitle(missileDefenceWords) { return .missileDefence }
        let forces: [(query: Int, domain: StoryTracker.Domain)] = [(airWords, .air), (seaWords, .sea), (submarineWords, .undersea)]
        let named = forces.compactMap { inTitle($0.query) ? $0.domain : nil }
        return named.count == 1 ? named[0] : nil
    }

    /// One of China and Russia named, not the other, at a place of the other's: warships
    /// arriving for a drill ("Chinese warships reach Vladivostok"), also a port call.
    func isVisiting(_ facts: EventFacts) -> Bool {
        // Asked of the list itself: sets of the countries made for it were 1% of reading an item.
        let namesChina = facts.countries.contains("China"), namesRussia = facts.countries.contains("Russia")
        guard namesChina != namesRussia else { return false }
        let visitor = namesChina ? "China" : "Russia"
        return facts.places.contains { placeCountries[$0].map { $0 != visitor && ($0 == "China" || $0 == "Russia") } ?? false }
    }

    /// A known exercise name (with its year when one follows), else a capitalised codename
    /// followed by a year near a drill word ("Vostok-2022").
    /// Whether an exercise name ("Joint Sea-2025") is of a joint series; nil for a name the
    /// gazetteer does not know (a codename found by its capital and year).
    func isJoint(_ exercise: String) -> Bool? {
        let dash = exercise.range(of: "-", options: .backwards)
        let series = dash.map { String(exercise[..<$0.lowerBound]) } ?? exercise
        if jointSeries.contains(exercise) { return true }
        if jointSeries.contains(series) {
            guard let years = jointYears[series], let year = dash.flatMap({ Int(exercise[$0.upperBound...]) }),
                  let last = years.max(), year <= last else { return true }
            return years.contains(year)
        }
        if otherSeries.contains(series) || otherSeries.contains(exercise) { return false }
        return nil
    }

    /// `places` and every larger place they lie within: what two reports' places are compared
    /// by, so that "Vladivostok" and "the Sea of Japan" are not places apart.
    func area(of places: [String]) -> Set<String> {
        places.reduce(into: Set(places)) { $0.formUnion(placesAround[$1] ?? []) }
    }

    /// `within`, followed to its end (a cycle written by mistake stops where it repeats).
    private static func placesAround(_ places: [Gazetteer.Entry]) -> [String: Set<String>] {
        let direct = Dictionary(places.map { ($0.name, $0.within) }, uniquingKeysWith: { $0 + $1 })
        return direct.mapValues { first in
            var found = Set<String>(), pending = first
            while let next = pending.popLast() {
                if found.insert(next).inserted { pending += direct[next] ?? [] }
            }
            return found
        }
    }

    /// The exercise named, and the token where it is named.
    private func exercise(_ exercises: some Sequence<Compiled>, _ matcher: inout QueryEvaluator,
                          _ text: AnalyzedText) -> (name: String, index: Int)? {
        var hits: [(index: Int, name: String, hasYear: Bool)] = []
        var drillPositions: [Int]?
        /// Where the text's drill words are, found at the first need.
        func drillWordPositions() -> [Int] {
            let positions = drillPositions ?? matcher.evaluate(drillWords).spans.map { text.tokens[$0.first].position }
            drillPositions = positions
            return positions
        }
        /// Whether a drill word is within ten words of the token at `index`.
        func nearDrillWord(_ index: Int) -> Bool {
            let here = text.tokens[index].position
            return drillWordPositions().contains { abs($0 - here) <= 10 }
        }
        for exercise in exercises {
            for query in exercise.queries {
                for span in matcher.evaluate(query).spans {
                    let year = yearAfter(span.last, in: text)
                    switch exercise.entry.counting {
                    case .always: break
                    case .withYear:
                        if year == nil { continue }
                    case .asNameOrWithYear:
                        if year == nil && !(text.tokens[span.first].original.first?.isUppercase ?? false) { continue }
                    case .asNameWithYearOrNearDrillWord:
                        if year == nil && !Self.isWrittenAsName(span.first, in: text) {
                            guard nearDrillWord(span.first) else { continue }
                        }
                    case .withYearNearDrillWord:
                        guard year != nil, nearDrillWord(span.first) else { continue }
                    }
                    hits.append((span.first, year.map { "\(exercise.entry.name)-\($0)" } ?? exercise.entry.name, year != nil))
                }
            }
        }
        // The first mention with a year, else the first mention.
        let best = hits.filter(\.hasYear).min { $0.index < $1.index } ?? hits.min { $0.index < $1.index }
        if let best { return (best.name, best.index) }

        let positions = drillWordPositions()
        // A codename counts only near a drill word: with none in the text (most news), no
        // word need be looked at (the loop below was 2% of reading an item).
        guard !positions.isEmpty else { return nil }
        let tokens = text.tokens
        for index in tokens.indices.dropFirst() {
            // Most words are not a year: told by their length before a string is touched.
            guard tokens[index].original.utf8.count == 4 else { continue }
            // The fields read in place: a copy of the token (three strings) for every
            // four-letter word was most of this loop.
            let position = tokens[index].position
            // A word of one letter before a year is a sentence's preposition («В 2023 году»,
            // "A 2024 report"), not a codename.
            guard let year = Self.year(tokens[index].original), let first = tokens[index - 1].original.first, first.isUppercase,
                  tokens[index - 1].original.count > 1,
                  tokens[index - 1].position + 1 == position,
                  !Self.months.contains(tokens[index - 1].surface),
                  positions.contains(where: { abs($0 - position) <= 10 })
            else { continue }
            var words = [tokens[index - 1].original]
            if index >= 2, let initial = tokens[index - 2].original.first, initial.isUppercase,
               tokens[index - 2].position + 2 == position, !Self.months.contains(tokens[index - 2].surface) {
                words.insert(tokens[index - 2].original, at: 0)
            }
            return (words.joined(separator: " ") + "-\(year)", index)
        }
        return nil
    }

    /// A phrase capitalised after a word that is not ("… стартовала «Мирная миссия»", "the
    /// Peace Mission drills") is written as a name; in a title-cased headline every word is
    /// capitalised and that tells nothing.
    private static func isWrittenAsName(_ index: Int, in text: AnalyzedText) -> Bool {
        guard let initial = text.tokens[index].original.first, initial.isUppercase else { return false }
        guard index > 0, text.tokens[index - 1].position + 1 == text.tokens[index].position,
              let before = text.tokens[index - 1].original.first else { return true }
        return !before.isUppercase && before.isLetter
    }

    private func yearAfter(_ index: Int, in text: AnalyzedText) -> Int? {
        let next = index + 1
        guard next < text.tokens.count, text.tokens[next].position == text.tokens[index].position + 1 else { return nil }
        return Self.year(text.tokens[next].original)
    }

    static func year(_ word: String) -> Int? {
        guard word.utf8.count == 4, let value = Int(word), (1990...2039).contains(value) else { return nil }
        return value
    }
}

/// The gazetteer entries one text may name, in the gazetteer's order: those anchored on one
/// of its terms, and those with no anchor. An entry is numbered by its list (exercises,
/// places, countries) and its place in it.
private struct Candidates {
    private let numbers: [Int]

    static func number(list: Int, index: Int) -> Int { list << 32 | index }

    init(_ text: AnalyzedText, _ entriesByAnchor: ListsByKey<Int>, _ unanchored: [Int]) {
        var numbers = unanchored
        // Room for a candidate a token (grown from 64, the list was reallocated twice an item).
        numbers.reserveCapacity(unanchored.count + text.tokens.count)
        for index in text.tokens.indices { entriesByAnchor.forEach(of: Int(text.tokens[index].termID)) { numbers.append($0) } }
        numbers.sort()
        // Each once, in place.
        var kept = 0
        for index in numbers.indices where kept == 0 || numbers[index] != numbers[kept - 1] {
            numbers[kept] = numbers[index]
            kept += 1
        }
        numbers.removeLast(numbers.count - kept)
        self.numbers = numbers
    }

    /// The candidates of list `list`, from `entries`, in order: the numbers of a list are
    /// together, as the list is their high half. Looked up as they are read, with no array
    /// made of them (three arrays an item were 1% of reading it).
    func entries<Entry>(_ list: Int, of entries: [Entry]) -> LazyMapSequence<ArraySlice<Int>, Entry> {
        let start = numbers.firstIndex { $0 >> 32 >= list } ?? numbers.count
        let end = numbers[start...].firstIndex { $0 >> 32 > list } ?? numbers.count
        return numbers[start..<end].lazy.map { entries[$0 & 0xFFFF_FFFF] }
    }
}
