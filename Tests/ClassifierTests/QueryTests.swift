import Model
import Testing
@testable import Classifier

@Suite struct QueryLanguage {
    let analyzer = Analyzer()
    var parser: QueryParser { QueryParser(analyzer: analyzer) }

    func matches(_ query: String, title: String = "", body: String) throws -> Bool {
        let text = AnalyzedText(title: title, body: body, analyzer: analyzer)
        return QueryMatcher(text: text, analyzer: analyzer).evaluate(try parser.parse(query)).matched
    }

    @Test func termsAreStemmed() throws {
        #expect(try matches("drill", body: "The navies held drills"))
        #expect(try matches("учения", body: "Начало совместных учений"))
        #expect(try !matches("drill", body: "The navies held exercises"))
    }

    /// Matched words are shown as the text writes them: a Chinese phrase as its characters,
    /// not as the overlapping bigrams it was matched by; words of other scripts spaced.
    @Test func matchedWordsAreTheTextsCharacters() throws {
        let text = AnalyzedText(title: "", body: "中俄海军举行“海上联合-2024”演习，Joint Sea 2024 began", analyzer: analyzer)
        let matcher = QueryMatcher(text: text, analyzer: analyzer)
        func words(_ query: String) throws -> [String] { matcher.words(matcher.evaluate(try parser.parse(query)).spans) }
        #expect(try words("\"海上联合 20*\"") == ["海上联合 2024"])
        #expect(try words("\"joint sea 20*\"") == ["Joint Sea 2024"])
        #expect(try words("中俄 AND 演习") == ["中俄", "演习"])
        // Bigrams of two runs (after a comma) follow each other without overlapping: apart.
        let listed = AnalyzedText(title: "", body: "中国，海军", analyzer: analyzer)
        let listedMatcher = QueryMatcher(text: listed, analyzer: analyzer)
        #expect(listedMatcher.words(listedMatcher.evaluate(try parser.parse("\"中国 海军\"")).spans) == ["中国 海军"])
    }

    @Test func booleanOperatorsAndImplicitAnd() throws {
        let body = "China and Russia began naval drills"
        #expect(try matches("china AND russia", body: body))
        #expect(try matches("china russia", body: body))
        #expect(try matches("iran OR russia", body: body))
        #expect(try !matches("china AND iran", body: body))
        #expect(try !matches("china NOT russia", body: body))
        #expect(try matches("(iran OR china) AND NOT belarus", body: body))
        // Lower-case "and" is a word, not an operator.
        #expect(try matches("china and russia", body: body))
    }

    @Test func phrasesNeedConsecutiveWords() throws {
        #expect(try matches("\"joint sea\"", body: "the Joint Sea-2024 exercise"))
        #expect(try matches("\"joint sea 2024\"", body: "the Joint Sea-2024 exercise"))
        #expect(try !matches("\"joint sea\"", body: "a joint exercise at sea"))
        #expect(try matches("\"sea of japan\"", body: "drills in the Sea of Japan"))
        // A hyphenated word in a query is a phrase.
        #expect(try matches("north-joint", body: "North Joint 2024"))
    }

    @Test func prefixWildcard() throws {
        #expect(try matches("exercis*", body: "They were exercising"))
        #expect(try matches("\"naval exercis*\"", body: "large naval exercises"))
        #expect(try !matches("exercis*", body: "an exam"))
    }

    @Test func nearCountsWords() throws {
        let body = "Chinese bombers flew with Russian aircraft over the sea"
        #expect(try matches("chinese NEAR/3 russian", body: body))
        #expect(try !matches("chinese NEAR/2 russian", body: body))
        #expect(try matches("(bomber OR warship) NEAR/5 (russian OR russia)", body: body))
        #expect(try matches("(chinese NEAR/3 russian) NEAR/3 aircraft", body: body))
    }

    @Test func fieldScopes() throws {
        #expect(try matches("title:drill", title: "Joint drill begins", body: "nothing"))
        #expect(try !matches("title:drill", title: "News", body: "a drill"))
        #expect(try matches("text:drill", title: "News", body: "a drill"))
        #expect(try !matches("text:drill", title: "Joint drill", body: "nothing"))
        // NEAR never spans title and body.
        #expect(try !matches("begins NEAR/3 navy", title: "Drill begins", body: "navy ships"))
    }

    @Test func cjkQueries() throws {
        #expect(try matches("联合演习", body: "中俄海上联合演习开始"))
        #expect(try !matches("联合演习", body: "联合声明"))
    }

    @Test(arguments: [
        ("china AND", 10, "ends where a word was expected"),
        ("(china OR russia", 1, "'(' is never closed"),
        ("china)", 6, "')' without a matching '('"),
        ("\"joint sea", 1, "unterminated phrase"),
        ("drill NEAR russia", 7, "NEAR needs a distance"),
        ("place:japan", 1, "unknown field 'place:'"),
        ("*ship", 1, "a wildcard needs at least one letter"),
        ("ex*cise", 3, "'*' is only allowed at the end"),
        ("(china NOT russia) NEAR/3 drill", 1, "NEAR needs words"),
        ("()", 1, "empty parentheses"),
        ("", 1, "the query is empty"),
        ("OR china", 1, "OR where a word was expected"),
    ])
    func parseErrorsNameTheColumn(query: String, column: Int, message: String) {
        #expect {
            _ = try parser.parse(query)
        } throws: { error in
            guard let error = error as? QueryError else { return false }
            return error.column == column && error.message.contains(message)
        }
    }

    @Test func ruleErrorsNameTheRule() {
        let errors = Classifier.validate([
            RuleDefinition(name: "good", query: "drill", weight: 1, effect: .raise),
            RuleDefinition(name: "broken", query: "drill AND (", weight: 1, effect: .raise),
        ])
        #expect(errors.count == 1)
        #expect(errors.first?.description.hasPrefix("rule 'broken': column 11:") == true)
    }
}

/// The evaluator answers a node the text lacks the words for without evaluating it, and finds
/// term and prefix nodes from the text's words; checked against a plain reading of the query
/// language on random queries sharing one program, over random texts.
@Suite struct QueryEvaluation {
    let analyzer = Analyzer()
    static let words = ["red", "blue", "green", "ship", "sea", "fox", "redder", "shipment"]

    /// SplitMix64: the same queries and texts on every run.
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    func randomQuery(_ random: inout Random, depth: Int) -> Query {
        func field() -> Query.Field? { [nil, nil, .title, .text][random.next(4)] }
        func word() -> Query {
            random.next(4) == 0
                ? .prefix(["re", "sh", "s", "gre", "ship", "fo"][random.next(6)], field: nil)
                : .term(analyzer.stem(Self.words[random.next(Self.words.count)]), field: nil)
        }
        if depth == 0 || random.next(3) == 0 {
            switch random.next(3) {
            case 0: return .phrase((0..<(2 + random.next(2))).map { _ in word() }, field: field())
            default:
                let single = word()
                switch single {
                case .term(let term, _): return .term(term, field: field())
                case .prefix(let prefix, _): return .prefix(prefix, field: field())
                default: return single
                }
            }
        }
        let parts = (0..<(2 + random.next(2))).map { _ in randomQuery(&random, depth: depth - 1) }
        switch random.next(4) {
        case 0: return .and(parts)
        case 1: return .or(parts)
        case 2: return .not(parts[0])
        default:
            // NEAR stands between positional queries only, as the parser builds it.
            let positional = parts.filter(\.isPositional)
            guard positional.count >= 2 else { return .or(parts) }
            return .near(positional[0], positional[1], distance: random.next(4))
        }
    }

    /// The query language read plainly: every node computed, nothing skipped or shared.
    func reference(_ query: Query, _ text: AnalyzedText) -> (matched: Bool, spans: [Span]) {
        let tokens = text.tokens
        func single(_ field: Query.Field?, _ hit: (Token) -> Bool) -> (Bool, [Span]) {
            let spans = tokens.indices.filter { hit(tokens[$0]) && text.inField($0, field) }.map { Span(first: $0, last: $0) }
            return (!spans.isEmpty, spans)
        }
        func matchesPart(_ part: Query, _ token: Token) -> Bool {
            switch part {
            case .term(let term, _): return token.term == term
            case .prefix(let prefix, _): return token.surface.utf8.starts(with: prefix.utf8)
            default: return false
            }
        }
        switch query {
        case .term(let term, let field): return single(field) { $0.term == term }
        case .prefix(let prefix, let field): return single(field) { $0.surface.utf8.starts(with: prefix.utf8) }
        case .phrase(let parts, let field):
            let starts = reference(parts[0], text).spans.filter { text.inField($0.first, field) }
            let spans = starts.compactMap { start -> Span? in
                var index = start.first
                for part in parts.dropFirst() {
                    let next = index + 1
                    guard next < tokens.count, tokens[next].position == tokens[index].position + 1,
                          matchesPart(part, tokens[next]) else { return nil }
                    index = next
                }
                return Span(first: start.first, last: index)
            }
            return (!spans.isEmpty, spans)
        case .and(let parts):
            let results = parts.map { reference($0, text) }
            guard results.allSatisfy(\.matched) else { return (false, []) }
            return (true, results.flatMap(\.spans))
        case .or(let parts):
            let results = parts.map { reference($0, text) }.filter(\.matched)
            return (!results.isEmpty, results.flatMap(\.spans))
        case .not(let inner):
            return (!reference(inner, text).matched, [])
        case .near(let a, let b, let distance):
            let left = Set(reference(a, text).spans), right = Set(reference(b, text).spans)
            func gap(_ x: Span, _ y: Span) -> Int { tokens[y.first].position - tokens[x.last].position - 1 }
            func partnered(_ span: Span, _ others: Set<Span>) -> Bool {
                others.contains { other in
                    other.first > span.last ? gap(span, other) <= distance
                        : other.last >= span.first ? true : gap(other, span) <= distance
                }
            }
            let kept = Set(left.filter { partnered($0, right) }).union(right.filter { partnered($0, left) })
            let spans = kept.sorted { ($0.first, $0.last) < ($1.first, $1.last) }
            return (!spans.isEmpty, spans)
        }
    }

    @Test func sharedProgramsAgreeWithThePlainReading() {
        var random = Random(state: 42)
        let program = QueryProgram(analyzer: analyzer)
        let queries = (0..<300).map { _ in randomQuery(&random, depth: 3) }
        let roots = queries.map(program.add)
        var matchedSome = 0
        for _ in 0..<60 {
            func sentence() -> String {
                (0..<random.next(12)).map { _ in Self.words[random.next(Self.words.count)] }.joined(separator: " ")
            }
            let text = AnalyzedText(title: sentence(), body: sentence(), analyzer: analyzer)
            var evaluator = QueryEvaluator(program: program, text: text)
            for (query, root) in zip(queries, roots) {
                let expected = reference(query, text)
                let result = evaluator.evaluateRule(root)
                #expect(result?.matched == expected.matched && result?.spans == expected.spans, "\(query)")
                if expected.matched { matchedSome += 1 }
            }
            // Every later text is evaluated on the tables this one used, put back clean.
            evaluator.finish()
        }
        // Both answers occur often: the comparison is not of empty results alone.
        #expect(matchedSome > 3_000 && matchedSome < 15_000)
    }

    @Test func prefixesAreFoundByTheirBytes() {
        var trie = PrefixTrie()
        let prefixes = ["exercis", "exer", "ex", "учени", "учен", "演习", "x"]
        // Laid out between two rounds of inserts, as a program adding query after query.
        for (node, prefix) in prefixes.enumerated() {
            trie.insert(Array(prefix.utf8), node: node)
            if node == 2 || node == prefixes.count - 1 { trie.layOut() }
        }
        for word in ["exercises", "exert", "ex", "e", "учения", "учен", "演习开始", "xylophone", "", "fox"] {
            var found: [Int] = []
            trie.forEachMatch(word) { found.append($0) }
            let expected = prefixes.indices.filter { word.utf8.starts(with: prefixes[$0].utf8) }
            #expect(found.sorted() == expected, "\(word)")
        }
    }

    /// Answers remembered by word give what walking the trie gives: the first time a word is
    /// read, again from memory, and for the same word twice in one text.
    @Test func prefixesRememberedByWordAreTheTriesAnswers() {
        var trie = PrefixTrie()
        let prefixes = ["exercis", "exer", "ex", "учени", "учен", "演习", "x"]
        for (node, prefix) in prefixes.enumerated() { trie.insert(Array(prefix.utf8), node: node) }
        trie.layOut()
        let remembered = SurfacePrefixes()
        for text in ["Exercises exert ex e учения fox exercises", "fox учения Exercises 演习开始 xylophone exert"] {
            for _ in 0..<2 {
                let tokens = analyzer.analyze(text)
                var found = [[Int]](repeating: [], count: tokens.count)
                remembered.forEachMatch(in: tokens, trie: trie) { found[$0].append($1) }
                let expected = tokens.map { token in prefixes.indices.filter { token.surface.utf8.starts(with: prefixes[$0].utf8) } }
                #expect(found.map { $0.sorted() } == expected, "\(text)")
            }
        }
    }
}
