import CMinHash
import TestSupport
import Testing
@testable import Classifier

@Suite struct Similarity {
    let analyzer = Analyzer()

    func index(_ documents: [(String, String)]) -> SimilarityIndex {
        let index = SimilarityIndex()
        index.build(documents.map { CorpusDocument(id: $0.0, title: nil, body: $0.1) }, analyzer: analyzer)
        return index
    }

    @Test func ranksTheClosestDocumentFirst() {
        let index = index([
            ("naval", "The Chinese and Russian navies held joint naval drills in the Sea of Japan with destroyers."),
            ("trade", "China and Russia signed a gas pipeline deal and discussed trade and tourism."),
            ("weather", "A typhoon brought heavy rain to the southern coast; ferries were cancelled."),
        ])
        let query = index.vector(title: "Navies drill together", body: "Chinese and Russian destroyers began naval drills near China.", analyzer: analyzer)
        let results = index.mostSimilar(to: query, limit: 3)
        #expect(results.map { index.documents[$0.index].id } == ["naval", "trade"])
        #expect(results[0].score > results[1].score)
        #expect(results[0].score > 0.3 && results[0].score <= 1)
        #expect(results[0].terms.contains("drill") && results[0].terms.contains("naval"))
        // The weather document shares no term: it is not returned at all.
        #expect(!results.contains { index.documents[$0.index].id == "weather" })
    }

    @Test func identicalTextScoresOne() {
        let text = "Joint Sea exercise begins near Vladivostok with warships and submarines"
        let index = index([("a", text), ("b", "something else entirely about fishing quotas")])
        let result = index.mostSimilar(to: index.vector(title: "", body: text, analyzer: analyzer), limit: 1)
        #expect(abs(result[0].score - 1) < 0.001)
    }

    @Test func documentsCanBeAddedLater() {
        let index = index([("a", "fishing quotas for squid in the north")])
        #expect(index.mostSimilar(to: index.vector(title: "", body: "bomber patrol over the sea", analyzer: analyzer)).isEmpty)
        index.add(CorpusDocument(id: "b", body: "strategic bomber patrol over the sea of japan"), analyzer: analyzer)
        let result = index.mostSimilar(to: index.vector(title: "", body: "bomber patrol over the sea", analyzer: analyzer))
        #expect(index.documents[result[0].index].id == "b")
    }

    /// A corpus no larger than the candidates kept is scored from the postings alone: the
    /// scores must be the merge of the two vectors' terms (`TermVector.cosine`) to the bit, for
    /// every document sharing a term, in the order of score then position.
    @Test func aSmallCorpusGetsTheExactCosines() {
        var state: UInt64 = 7
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33)
        }
        let words = (0..<60).map { "word\($0)" }
        func text(_ count: Int) -> String { (0..<count).map { _ in words[next() % 60] }.joined(separator: " ") }
        let index = index((0..<20).map { ("d\($0)", text(next() % 150 + 5)) })
        for _ in 0..<200 {
            // At most sixteen terms: all of them are the strongest, so every document sharing
            // one is a candidate.
            let query = index.vector(title: "", body: text(next() % 16 + 1), analyzer: analyzer)
            var expected: [(index: Int, score: Double)] = []
            for (position, vector) in index.vectors.enumerated() {
                let score = query.cosine(vector)
                if score > 0 { expected.append((position, score)) }
            }
            expected.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
            let found = index.mostSimilar(to: query, limit: 20, explainTerms: 0, candidates: 20)
            #expect(found.map { $0.index } == expected.map { $0.index })
            #expect(found.map { $0.score } == expected.map { $0.score })
        }
        // The same index asked with fewer candidates takes the general path, on the scratch the
        // small path used: the best document is the same.
        let query = index.vector(title: "", body: text(8), analyzer: analyzer)
        let all = index.mostSimilar(to: query, limit: 20, explainTerms: 0, candidates: 20)
        let few = index.mostSimilar(to: query, limit: 1, explainTerms: 0, candidates: 3)
        #expect(few.first?.index == all.first?.index && few.first?.score == all.first?.score)
    }

    @Test func scalesToTenThousandDocuments() {
        // Not a timing test: the index must build and answer over a large corpus.
        var documents: [(String, String)] = []
        let words = ["navy", "trade", "summit", "drill", "bomber", "typhoon", "squid", "pipeline", "parade", "sanction",
                     "warship", "tourism", "market", "election", "football", "festival", "harbour", "frigate", "missile", "treaty"]
        for index in 0..<10_000 {
            let body = (0..<40).map { words[(index * 7 + $0 * 13 + $0 * $0) % words.count] }.joined(separator: " ")
            documents.append(("doc-\(index)", body + " unique\(index)"))
        }
        let index = index(documents)
        #expect(index.count == 10_000)
        let probe = index.vector(title: "", body: documents[4242].1, analyzer: analyzer)
        #expect(index.documents[index.mostSimilar(to: probe, limit: 1)[0].index].id == "doc-4242")
    }
}

@Suite struct CorpusDocuments {
    @Test func frontMatterAndMarkdown() {
        let document = CorpusDocument.parse(id: "x", text: """
            ---
            title: "Joint Sea-2025 opens"
            date: 2025-08-01
            url: https://example.org/a
            exercise: Joint Sea-2025
            ---
            # Joint Sea-2025 opens

            The **navies** began [drills](https://example.org/d) near Vladivostok.
            """)
        #expect(document.title == "Joint Sea-2025 opens")
        #expect(document.date == "2025-08-01")
        #expect(document.exercise == "Joint Sea-2025")
        #expect(document.body.contains("The navies began drills near Vladivostok."))
    }

    @Test func boilerplateIsRemoved() {
        let document = CorpusDocument.parse(id: "x", text: """
            Support our newsroom!

            Navies begin joint drills

            Photo One / AGENCY / AGENCY

            Chinese and Russian warships began a week of joint drills on Monday, the ministry said.

            Comments (0)

            The drills will include anti-submarine warfare and air defence, officials said.

            Sign up for our free weekly newsletter

            Dear readers, we need your help to keep reporting. Please donate.

            Once
            Monthly
            Continue
            """)
        #expect(document.title == "Navies begin joint drills")
        #expect(document.body == "Chinese and Russian warships began a week of joint drills on Monday, the ministry said.\n\nThe drills will include anti-submarine warfare and air defence, officials said.")
    }

    /// A feed item's text loses its short boilerplate lines and its empty ones, nothing else:
    /// the same as splitting it into lines and joining the kept ones.
    @Test func itemsLoseBoilerplateLinesOnly() {
        func byLines(_ text: String) -> String {
            // By bytes: "\r\n" is one Character, and a line ends at the "\n" in it.
            text.utf8.split(separator: 0x0A, omittingEmptySubsequences: true).map { String(Substring($0)) }.filter { line in
                !(line.utf8.count < 160 && Boilerplate.isBoilerplate(line, lower: LowerBytes(line), maxWords: 15))
            }.joined(separator: "\n")
        }
        let paragraph = "Chinese and Russian warships began a week of joint drills on Monday in the Sea of Japan, the ministry said."
        let texts = [
            "", "\n", "\n\n", "Read more", "Read more\n", paragraph, paragraph + " Read more",
            paragraph + "\n\nRead more\n\n" + paragraph, "\n" + paragraph + "\n",
            "The post Navies drill appeared first on Example News.\n" + paragraph,
            paragraph + "\r\nSubscribe to our newsletter\r\n", "Учения начались\n\nЧитать далее\nRead more",
            String(repeating: paragraph + "\n", count: 5), "Photo One / AGENCY / AGENCY\n" + paragraph,
            "short line\nanother short line", String(repeating: "word ", count: 60) + "read more",
        ]
        for text in texts {
            let stripped = Boilerplate.stripItem(text)
            // A single line of 200 bytes or more is judged whole, as the lines of a short one are.
            let expected = !text.contains("\n") && text.utf8.count >= 200
                ? (Boilerplate.isBoilerplate(text, lower: LowerBytes(text), maxWords: 15) ? "" : text) : byLines(text)
            #expect(stripped == expected, "\(text.debugDescription)")
        }
        #expect(Boilerplate.stripItem(paragraph + "\n\nRead more") == paragraph)
    }

    /// The terms a query looks for candidates by: what a stable sort by weight keeps.
    @Test func strongestTermsAreTheFirstOfAStableSort() {
        var random = SplitMix(state: 11)
        for size in [0, 5, 16, 17, 40, 200] {
            let terms = (0..<size).map(Int32.init)
            // Few distinct weights: many ties.
            let weights = terms.map { _ in Float(Int.random(in: 1...6, using: &random)) / 7 }
            let query = TermVector(terms: terms, weights: weights)
            let sorted = size > 16 ? Array(zip(terms, weights).sorted { $0.1 > $1.1 }.prefix(16)) : Array(zip(terms, weights))
            let strongest = SimilarityIndex.strongest(query, 16)
            #expect(strongest.map(\.0) == sorted.map(\.0) && strongest.map(\.1) == sorted.map(\.1))
        }
    }

    @Test func phrasesAreFoundWhereverTheyBegin() {
        let phrases = Phrases(["read more", "re", "ad", "sign up", "cookie"])
        var random = SplitMix(state: 7)
        for _ in 0..<2_000 {
            let line = (0..<Int.random(in: 0..<12, using: &random)).map { _ in
                ["read", " ", "more", "r", "e", "a", "d", "sign", "up", "cook", "ie", "x"].randomElement(using: &random)!
            }.joined()
            let naive = ["read more", "re", "ad", "sign up", "cookie"].contains { line.contains($0) }
            #expect(Array(line.utf8).withUnsafeBufferPointer(phrases.occur) == naive, "\(line)")
        }
    }

    @Test func seedOneLosesItsAppeal() throws {
        guard let folder = SharedData.url("seeds") else { return }
        let text = try String(contentsOf: folder.appendingPathComponent("001_0bd98f5283454918.txt"), encoding: .utf8)
        let document = CorpusDocument.parse(id: "001", text: text)
        #expect(document.title == "China Says Conducting Joint Military Drills With Russia")
        let lower = document.body.lowercased()
        for phrase in ["newsletter", "dear readers", "support us", "remind me later", "read more", "xinhua / epa"] {
            #expect(!lower.contains(phrase), "'\(phrase)' survived")
        }
        #expect(lower.contains("joint sea-2024"))
        #expect(lower.contains("grave concern"))
    }
}

@Suite struct NearDuplicates {
    let hasher = MinHasher()

    func terms(_ text: String) -> [String] { text.lowercased().split(separator: " ").map(String.init) }

    @Test func similarityEstimatesJaccard() {
        let base = "chinese and russian warships began joint naval drills in the sea of japan on monday officials said"
        let copy = hasher.signature(terms(base))
        #expect(hasher.similarity(copy, hasher.signature(terms(base))) == 1)
        let edited = hasher.signature(terms(base.replacingOccurrences(of: "on monday", with: "early monday")))
        let estimate = hasher.similarity(copy, edited)
        #expect(estimate > 0.5 && estimate < 1)
        let other = hasher.signature(terms("typhoon closes ports along the southern coast as ferries are cancelled"))
        #expect(hasher.similarity(copy, other) < 0.1)
    }

    /// The signature comes from C, on eight lanes where the processor has AVX-512: it must be
    /// the one the definition gives (stored signatures and stories depend on it), for texts
    /// of every length, the shortest and the empty one included, and for other signature
    /// lengths (a tail that is not a multiple of eight).
    @Test func theFastSignatureIsTheDefinedOne() {
        var random = SplitMix64(seed: 7)
        let words = (0..<300).map { "w\($0)" } + ["учения", "联合", "", "a b"]
        for permutations in [128, 64, 12, 1] {
            let hasher = MinHasher(permutations: permutations, bands: 1)
            for length in [0, 1, 2, 3, 4, 9, 150, 2_000] {
                let terms = (0..<length).map { _ in words[Int(random.next() % UInt64(words.count))] }
                #expect(hasher.signature(terms) == hasher.referenceSignature(terms), "\(permutations) × \(length)")
            }
        }
    }

    /// Both paths of the C loop, whichever this processor takes.
    @Test func bothLoopsAgree() {
        var random = SplitMix64(seed: 11)
        let shingles = (0..<500).map { _ in random.next() }
        let seeds = (0..<131).map { _ in random.next() }
        var fast = [UInt64](repeating: .max, count: seeds.count)
        var scalar = fast
        drillwatch_minhash(shingles, shingles.count, seeds, seeds.count, &fast)
        drillwatch_minhash_scalar(shingles, shingles.count, seeds, seeds.count, &scalar)
        #expect(fast == scalar)
        print("MinHash loop on this processor: \(drillwatch_minhash_vectorised() != 0 ? "AVX-512" : "one lane")")
    }

    @Test func lshFindsCopiesNotStrangers() {
        var index = NearDuplicateIndex(hasher: hasher)
        let base = "chinese and russian warships began joint naval drills in the sea of japan on monday officials said the exercise will last five days"
        let first = index.insert(hasher.signature(terms(base)))
        _ = index.insert(hasher.signature(terms("fishing quotas for squid were cut again this year as catches fell")))
        let candidates = index.candidates(hasher.signature(terms(base + " reuters")))
        #expect(candidates == [first])
    }
}
