import Model
import Testing
@testable import Classifier

@Suite struct Analysis {
    let analyzer = Analyzer()

    @Test func codenamesBecomeConsecutiveTokens() {
        #expect(analyzer.analyze("Joint Sea-2024").map(\.term) == ["joint", "sea", "2024"])
        #expect(analyzer.analyze("Northern/Interaction-2023").map(\.term) == ["northern", "interact", "2023"])
        #expect(analyzer.analyze("North-Joint 2024").map(\.surface) == ["north", "joint", "2024"])
        let positions = analyzer.analyze("the Northern/Interaction-2023 drills").map(\.position)
        #expect(positions == [0, 1, 2, 3, 4])
    }

    /// "Close to" means within a sentence: positions jump at a sentence's end, more than the
    /// widest NEAR, and not after an initial or a usual abbreviation.
    @Test func sentencesAreKeptApart() throws {
        let gap = Analyzer.sentenceGap
        #expect(analyzer.analyze("China watched. Russia drilled").map(\.position) == [0, 1, 2 + gap, 3 + gap])
        #expect(analyzer.analyze("Россия? Китай!").map(\.position) == [0, 1 + gap])
        #expect(analyzer.analyze("中国表态。俄军演习").map(\.position).last! > gap)
        #expect(analyzer.analyze("one\n\nline").map(\.position) == [0, 1 + gap])
        #expect(analyzer.analyze("one\r\n\r\nline").map(\.position) == [0, 1 + gap])
        // A line wrapped in the middle of a sentence is one sentence.
        #expect(analyzer.analyze("one\nline").map(\.position) == [0, 1])
        // Not the end of a sentence: an initial, an abbreviation, a decimal point.
        #expect(analyzer.analyze("U.S. Navy").map(\.position) == [0, 1, 2])
        #expect(analyzer.analyze("Gen. Gerasimov on Aug. 20 said 2.5").map(\.position) == [0, 1, 2, 3, 4, 5, 6, 7])
        let classifier = try Shipped.classifier()
        func fires(_ text: String) -> Bool {
            classifier.assess(Item(id: text, title: "Analysts", text: text)).hits.contains { $0.definition.name == "drill-with-china-and-russia" }
        }
        #expect(fires("Chinese and Russian warships began joint drills on Monday."))
        #expect(!fires("A Beijing think tank commented. Russian bombers flew a long patrol over the Sea of Okhotsk."))
    }

    /// A word met again is read from the thread's word cache by its bytes, not looked up by
    /// its string: it must come out as the first reading made it, written form and all —
    /// capitals past a key's sixteen bytes, apostrophes, words alike in their first sixteen
    /// bytes and length, and a sea's "China", which is renamed after it is found.
    @Test func aWordReadFromTheCacheIsTheWordReadFirst() {
        let text = """
            China's counterrevolutionaryXYZ drills: internationalizationA, internationalizationB, \
            INTERNATIONALIZATIONB, the South China Sea and China. Joint SEA-2024 drills
            """
        let first = analyzer.analyze(text)
        let again = analyzer.analyze(text)
        #expect(again == first)
        #expect(first.map(\.original).prefix(5) == ["China's", "counterrevolutionaryXYZ", "drills", "internationalizationA", "internationalizationB"])
        #expect(first[1].surface == "counterrevolutionaryxyz" && first[1].original != first[1].surface)
        #expect(first[3].termID != first[4].termID && first[4].termID == first[5].termID)
        #expect(again.map(\.surface).contains("south-china") && again.filter { $0.surface == "china" }.count == 1)
        #expect(again.allSatisfy { $0.surfaceID >= 0 && $0.termID >= 0 })
    }

    @Test func stemmingFoldsInflection() {
        #expect(analyzer.analyze("Drills drilled drilling").map(\.term) == ["drill", "drill", "drill"])
        #expect(analyzer.analyze("exercises exercise").map(\.term) == ["exercis", "exercis"])
        // Russian: учения and учений share a stem; Ё reads as Е.
        let russian = analyzer.analyze("Учения учений ЁЛКА")
        #expect(russian[0].term == russian[1].term)
        #expect(russian[2].surface == "елка")
    }

    @Test func caseFoldingIsFull() {
        #expect(Analyzer.fold("STRAßE") == "strasse")
        #expect(Analyzer.fold("ΣΟΦΟΣ") == "σοφοσ")
        #expect(Analyzer.fold("Китай") == "китай")
    }

    @Test func nfkcNormalises() {
        // Full-width Latin and the "ﬁ" ligature are compatibility characters.
        #expect(analyzer.analyze("ＰＬＡ ﬁre").map(\.surface) == ["pla", "fire"])
        // Also after a long run of ASCII (stepped over eight bytes at a time), at any offset.
        for padding in 0..<20 {
            let ascii = String(repeating: "a", count: padding)
            #expect(analyzer.analyze(ascii + " ﬁre").last?.surface == "fire")
            #expect(Analyzer.needsNormalization(ascii + "\u{00A0}") && Analyzer.needsNormalization(ascii + "ﬁ" + ascii))
            #expect(!Analyzer.needsNormalization(ascii + "Учения 中俄 é" + ascii))
        }
    }

    /// Words met before come from the analyzer's word cache: more words than it has slots,
    /// so that they evict each other, must still get the ids, stems and flags the lexicon has.
    @Test func wordsMetAgainGetWhatTheyGotFirst() {
        let words = (0..<10_000).map { n in
            String((0..<4).map { k in Character(Unicode.Scalar(UInt8(97 + (n >> (4 * k)) % 16))) }) + (n % 3 == 0 ? "ing" : "s")
        } + ["the", "учения", "учений", "Китая", "中俄联合"]
        let text = words.joined(separator: " ")
        let first = analyzer.analyze(text)
        let again = analyzer.analyze(text)
        #expect(first == again)
        // One id a word, one word an id.
        #expect(Set(first.map(\.surfaceID)).count == Set(first.map(\.surface)).count)
        #expect(Set(first.map(\.surface)).count > 10_000)
        let fresh = Analyzer().analyze(text)
        #expect(fresh.map(\.term) == first.map(\.term) && fresh.map(\.isStopWord) == first.map(\.isStopWord))
    }

    @Test func cjkBecomesBigrams() {
        #expect(analyzer.analyze("中俄联合演习").map(\.term) == ["中俄", "俄联", "联合", "合演", "演习"])
        #expect(analyzer.analyze("俄").map(\.term) == ["俄"])
        let mixed = analyzer.analyze("PLA 演习 2024")
        #expect(mixed.map(\.term) == ["pla", "演习", "2024"])
    }

    @Test func possessivesAndApostrophes() {
        #expect(analyzer.analyze("China's navy").map(\.term) == ["china", "navi"])
        #expect(analyzer.analyze("the navies' drills").map(\.term) == ["the", "navi", "drill"])
    }

    @Test func stopWordsKeepTheirPlace() {
        let tokens = analyzer.analyze("Sea of Japan")
        #expect(tokens.map(\.isStopWord) == [false, true, false])
        #expect(tokens.map(\.position) == [0, 1, 2])
    }
}
