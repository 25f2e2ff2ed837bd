import Foundation
import Model
import Testing
import TestSupport
@testable import Classifier

/// Rules written to hurt: nested past any real need, thousands of operators, NEAR chains over
/// huge items. Each gets a clear error or a bounded, reported evaluation; none crashes.
@Suite struct HostileRules {
    let parser = QueryParser(analyzer: Analyzer())

    /// `count` distinct letter-only words (digits would be split off as codenames).
    static func words(_ count: Int) -> [String] {
        let letters = Array("bcdfghjklmnpqrstvwxz")
        return (0..<count).map { "k" + String(letters[$0 / letters.count]) + "o" + String(letters[$0 % letters.count]) }
    }

    /// `words` chained by NEAR/5: `w0 NEAR/5 w1 NEAR/5 w2 …`.
    static func chain(_ words: [String]) -> String { words.joined(separator: " NEAR/5 ") }

    func parseError(_ query: String) -> QueryError? {
        do throws(QueryError) { _ = try parser.parse(query); return nil } catch { return error }
    }

    static func classifier(_ rules: [(name: String, query: String)]) throws -> Classifier {
        try Classifier(settings: ClassifierSettings(),
                       rules: rules.map { RuleDefinition(name: $0.name, query: $0.query, weight: 2, effect: .raise) },
                       corpus: [CorpusDocument(id: "c", body: "Russia and China began a naval drill.")], gazetteer: Gazetteer())
    }

    @Test func deepParenthesesAreAnErrorAtTheFirstTooDeep() {
        let query = String(repeating: "(", count: 20_000) + "drill" + String(repeating: ")", count: 20_000)
        let error = parseError(query)
        #expect(error?.column == QueryParser.maxDepth + 1)
        #expect(error?.message == "parentheses and NOTs are nested more than 64 deep; write the query flatter")
    }

    @Test func deepNotsAreAnError() {
        // 1,000 NOTs: under the cap on parts, so the depth is what stops them.
        let error = parseError(String(repeating: "NOT ", count: 1_000) + "drill")
        #expect(error?.column == 4 * QueryParser.maxDepth + 1)
        #expect(error?.message.contains("nested more than 64 deep") == true)
    }

    @Test func thousandsOfOperatorsAreAnError() {
        // drill OR drill OR … with 5,000 ORs: the 2,001st part is the error's column.
        let query = Array(repeating: "drill", count: 5_001).joined(separator: " OR ")
        let error = parseError(query)
        #expect(error?.column == 1_000 * "drill OR ".count + 1)
        #expect(error?.message == "the query has more than 2000 words and operators; split it into several rules")
    }

    @Test func queriesAtTheCapsParse() throws {
        let nested = String(repeating: "(", count: 64) + "drill" + String(repeating: ")", count: 64)
        #expect(throws: Never.self) { try parser.parse(nested) }
        #expect(throws: Never.self) { try parser.parse(Self.chain(Array(repeating: "drill", count: 1_000))) }
    }

    @Test func aQueryAtTheCapsFitsATwoMebibyteStack() async throws {
        // A 999-link NEAR chain inside 64 groups, compiled and evaluated recursively: in a debug
        // build it needs between 1 and 2 MiB of stack; threads on Linux get 8 MiB.
        let words = Self.words(100)
        let chain = (0..<999).map { words[$0 % words.count] }.joined(separator: " NEAR/5 ")
        let query = String(repeating: "(", count: 64) + chain + String(repeating: ")", count: 64)
        let text = (0..<1_000).map { words[$0 % words.count] }.joined(separator: " ")
        let rules = [(name: "deep", query: query)]
        let verdict: Verdict = try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    let classifier = try Self.classifier(rules)
                    continuation.resume(returning: classifier.judge(Item(id: "i", title: "", text: text)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            // AddressSanitizer's redzones make every frame two to three times larger (a run
            // of `scripts/sanitize address` overflowed 2 MiB now and then): twice the stack there.
            thread.stackSize = (Sanitizer.isAddress ? 4096 : 2048) * 1024
            thread.start()
        }
        #expect(verdict.rules.map(\.name) == ["deep"] || verdict.unfinishedRules == ["deep"])
    }

    @Test func aLongNearChainOverItsOwnWordsFinishesWithinItsBound() throws {
        // 200 chained NEARs over a 20,000-word item cycling through the chain's words: this took
        // 87 s. Each link keeps only the spans near its partner, so the chain matches in about
        // 1.9 million steps of its 2 million.
        let words = Self.words(200)
        let text = (0..<20_000).map { words[$0 % words.count] }.joined(separator: " ")
        let classifier = try Self.classifier([(name: "chain", query: Self.chain(words))])
        let verdict = classifier.judge(Item(id: "hostile", title: "", text: text))
        #expect(verdict.unfinishedRules.isEmpty)
        #expect(verdict.rules.map(\.name) == ["chain"])
    }

    @Test func aNearChainOverOneRepeatedWordStopsAtItsBoundAndSaysSo() throws {
        // 200 chained NEARs of one word over that word 20,000 times: every link keeps every
        // span, and the work grows with the chain. The verdict names the rule it gave up on;
        // the other rule, sharing its first link, is still judged in full.
        let text = Array(repeating: "drill", count: 20_000).joined(separator: " ")
        let classifier = try Self.classifier([
            (name: "chain", query: Self.chain(Array(repeating: "drill", count: 201))),
            (name: "pair", query: "drill NEAR/5 drill"),
        ])
        let verdict = classifier.judge(Item(id: "hostile", title: "", text: text))
        #expect(verdict.unfinishedRules == ["chain"])
        #expect(verdict.rules.map(\.name) == ["pair"])
    }

    @Test func aNormalNearRuleStillMatchesWithItsWords() throws {
        let classifier = try Self.classifier([(name: "near", query: "(china OR chinese) NEAR/3 (russia OR russian)")])
        let verdict = classifier.judge(Item(id: "i", title: "", text: "Chinese bombers flew with Russian aircraft"))
        #expect(verdict.unfinishedRules.isEmpty)
        #expect(verdict.rules.first?.matched == ["Chinese", "Russian"])
    }

    @Test func nearAgreesWithCheckingEveryPair() throws {
        // Random texts over four words against every NEAR of two of them: the indexed search
        // must find exactly the spans a check of every pair finds.
        var generator = SystemRandomNumberGenerator()
        let vocabulary = ["ant", "bee", "cat", "dog"]
        let analyzer = Analyzer()
        for _ in 0..<200 {
            let words = (0..<Int.random(in: 1...30, using: &generator)).map { _ in vocabulary.randomElement(using: &generator)! }
            let text = AnalyzedText(title: "", body: words.joined(separator: " "), analyzer: analyzer)
            let (a, b) = (vocabulary.randomElement(using: &generator)!, vocabulary.randomElement(using: &generator)!)
            let distance = Int.random(in: 0...4, using: &generator)
            let found = QueryMatcher(text: text, analyzer: analyzer).evaluate(try parser.parse("\(a) NEAR/\(distance) \(b)"))
            var expected = Set<Int>()
            for i in words.indices where words[i] == a {
                for j in words.indices where words[j] == b && abs(i - j) - 1 <= distance {
                    expected.formUnion([i, j])
                }
            }
            #expect(found.spans.map(\.first) == expected.sorted(), "\(a) NEAR/\(distance) \(b) in \(words)")
            #expect(found.matched == !expected.isEmpty)
        }
    }
}
