/// Which of their joint patrols a report says it tells of: "the ninth joint strategic air
/// patrol", «второе совместное воздушное патрулирование», 第三次联合空中战略巡航. China and
/// Russia number their joint patrols, and their defence ministries announce each one in nearly
/// the same words; two reports giving two numbers are of two patrols, however alike their
/// wording. The first number from two ("second") up, in the headline or the lead: "first"
/// more often says "first in this sea" ("the first joint patrol near Alaska", of the eighth
/// air patrol) than which one it is.
///
/// Read from the analysed tokens (folded words; Chinese as character pairs), for the items
/// plausible enough to be compared with stories: made of the raw text's words again, it cost
/// a million instructions a report that names a patrol.
enum PatrolNumber {
    /// How much of the body is its lead, in tokens (about `LeadMonth.leadLength` characters
    /// of Chinese, more of English).
    static let leadTokens = 200

    /// How many words may stand between the number and the patrol ("ninth China-Russia joint
    /// strategic air patrol": five).
    static let wordsBetween = 5

    /// Characters between 次 and 巡航 (联合空中战略: six).
    static let charactersBetween = 8

    static func number(in text: AnalyzedText) -> Int? {
        let tokens = text.tokens
        let end = min(tokens.count, text.titleCount + leadTokens)
        for index in 0..<end {
            let surface = tokens[index].surface.utf8
            guard let first = surface.first else { continue }
            if first >= 0xE0 {
                // 第 opens a pair (第三), or ends one before digits (两军第 | 9 | 次联 …).
                guard surface.starts(with: "第".utf8) || surface.reversed().starts(with: "第".utf8.reversed()) else { continue }
                let scalars = Array(tokens[index].surface.unicodeScalars)
                let start: [Unicode.Scalar]? = scalars.first == "第" ? scalars : scalars.count == 2 && scalars[1] == "第" ? ["第"] : nil
                if let start, let number = chineseNumber(tokens, from: index, start: start, end: end) { return number }
            } else if surface.count >= 3, let number = ordinal(tokens[index].surface), number >= 2,
                      patrolFollows(tokens, after: index, end: end) {
                return number
            }
        }
        return nil
    }

    /// A patrol word among the next few words of the same sentence.
    private static func patrolFollows(_ tokens: [Token], after index: Int, end: Int) -> Bool {
        var previous = tokens[index].position
        for next in (index + 1)..<min(end, index + 2 + wordsBetween) {
            guard tokens[next].position == previous + 1 else { return false }
            previous = tokens[next].position
            let word = tokens[next].surface.utf8
            if word.starts(with: "patrol".utf8) || word.starts(with: "патрул".utf8) { return true }
        }
        return false
    }

    /// 第, a number (第三次, 第9次), 次 or 轮, and within a few characters 巡航 or 巡逻, put
    /// together from the tokens that follow: a run's character pairs add their second
    /// character, digits (a word of their own) and the first pair of the run after them add all.
    private static func chineseNumber(_ tokens: [Token], from index: Int, start: [Unicode.Scalar], end: Int) -> Int? {
        var run = start
        var inPairs = run.count == 2
        var previous = tokens[index].position
        for next in (index + 1)..<min(end, index + 6 + charactersBetween) {
            let scalars = Array(tokens[next].surface.unicodeScalars)
            guard tokens[next].position == previous + 1, scalars.count <= 2 || scalars.allSatisfy(\.isASCIIDigit) else { break }
            previous = tokens[next].position
            if inPairs && scalars.count == 2 && !scalars[0].isASCIIDigit { run.append(scalars[1]) } else { run += scalars }
            inPairs = scalars.count == 2 && !scalars[0].isASCIIDigit
        }
        var cursor = 1
        while cursor < run.count, ChineseNumerals.digit(Character(run[cursor])) != nil { cursor += 1 }
        guard cursor > 1, cursor < run.count, run[cursor] == "次" || run[cursor] == "轮",
              let number = ChineseNumerals.value(ArraySlice(run[1..<cursor].map(Character.init))), number >= 2 else { return nil }
        let after = String(String.UnicodeScalarView(run[(cursor + 1)...].prefix(charactersBetween + 2)))
        return after.contains("巡航") || after.contains("巡逻") ? number : nil
    }

    /// "second", "9th", «третье», «девятого» (folded words): the number an ordinal gives.
    static func ordinal(_ word: String) -> Int? {
        let bytes = word.utf8
        guard let first = bytes.first else { return nil }
        if first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") {
            let digits = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            guard ["st", "nd", "rd", "th"].contains(String(decoding: bytes.dropFirst(digits.count), as: UTF8.self)) else { return nil }
            return Int(String(decoding: digits, as: UTF8.self))
        }
        if first < 0x80 {
            // Told by its length and last letter before the word is hashed (hashing every word
            // of a lead was a fifth of a plausible item's story parts).
            guard englishLengths.contains(bytes.count), let last = bytes.last, englishLastBytes.contains(last) else { return nil }
            return english[word]
        }
        for (stem, number) in russianStems where bytes.starts(with: stem.utf8) {
            return russianEndings.contains(String(decoding: bytes.dropFirst(stem.utf8.count), as: UTF8.self)) ? number : nil
        }
        return nil
    }

    private static let english: [String: Int] = [
        "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
        "tenth": 10, "eleventh": 11, "twelfth": 12,
    ]
    /// The lengths and the last letters of the English ordinals above (5 to 8; "t", "d", "h").
    private static let englishLengths = english.keys.map(\.utf8.count).min()!...english.keys.map(\.utf8.count).max()!
    private static let englishLastBytes = Set(english.keys.compactMap(\.utf8.last))

    /// Russian ordinals by stem (folded: ё is е), the endings of an ordinal adjective after
    /// them: «пятое» is one, «пятница» (Friday) is not.
    private static let russianStems: [(String, Int)] = [
        ("перв", 1), ("втор", 2), ("трет", 3), ("четверт", 4), ("пят", 5), ("шест", 6), ("седьм", 7), ("восьм", 8),
        ("девят", 9), ("десят", 10),
    ]
    private static let russianEndings: Set<String> = [
        "ый", "ой", "ий", "ое", "ая", "ую", "ого", "ому", "ом", "ым", "ые", "ых", "ей", "ье", "ья", "ью", "ьего", "ьем", "ьей", "ьи",
    ]
}

private extension Unicode.Scalar {
    var isASCIIDigit: Bool { value >= 0x30 && value <= 0x39 }
}
