/// Which of their joint patrols a report says it tells of: "the ninth joint strategic air
/// patrol", «второе совместное воздушное патрулирование», 第三次联合空中战略巡航. China and
/// Russia number their joint patrols, and their defence ministries announce each one in nearly
/// the same words; two reports giving two numbers are of two patrols, however alike their
/// wording. The first number from two ("second") up, in the headline or the lead: "first"
/// more often says "first in this sea" ("the first joint patrol near Alaska", of the eighth
/// air patrol) than which one it is.
enum PatrolNumber {
    static func number(title: String, body: String) -> Int? {
        number(in: title) ?? number(in: String(body.prefix(LeadMonth.leadLength)))
    }

    static func number(in text: String) -> Int? {
        chineseNumber(in: text) ?? wordNumber(in: text)
    }

    /// How many words may stand between the number and the patrol ("ninth China-Russia joint
    /// strategic air patrol": five).
    static let wordsBetween = 5

    /// An ordinal word, then within a few words one of patrol, патрулирование …
    private static func wordNumber(in text: String) -> Int? {
        let words = text.split { !$0.isLetter && !$0.isNumber }.map { $0.lowercased() }
        for (index, word) in words.enumerated() {
            guard let number = ordinal(word), number >= 2 else { continue }
            let following = words[(index + 1)..<min(words.count, index + 2 + wordsBetween)]
            if following.contains(where: { $0.hasPrefix("patrol") || $0.hasPrefix("патрул") }) { return number }
        }
        return nil
    }

    /// "second", "9th", «третье», «девятого»: the number an ordinal word gives.
    static func ordinal(_ word: String) -> Int? {
        if let number = english[word] { return number }
        if let last = word.unicodeScalars.last, last.properties.isAlphabetic, let first = word.unicodeScalars.first,
           ("0"..."9").contains(first) {
            let digits = word.prefix { $0.isASCII && $0.isNumber }
            let suffix = word.dropFirst(digits.count)
            guard ["st", "nd", "rd", "th"].contains(suffix) else { return nil }
            return Int(digits)
        }
        for (stem, number) in russianStems where word.hasPrefix(stem) {
            return russianEndings.contains(String(word.dropFirst(stem.count))) ? number : nil
        }
        return nil
    }

    private static let english: [String: Int] = [
        "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
        "tenth": 10, "eleventh": 11, "twelfth": 12,
    ]

    /// Russian ordinals by stem, the endings of an ordinal adjective after them: «пятое» is one,
    /// «пятница» (Friday) is not.
    private static let russianStems: [(String, Int)] = [
        ("перв", 1), ("втор", 2), ("трет", 3), ("четверт", 4), ("четвёрт", 4), ("пят", 5), ("шест", 6), ("седьм", 7),
        ("восьм", 8), ("девят", 9), ("десят", 10),
    ]
    private static let russianEndings: Set<String> = [
        "ый", "ой", "ий", "ое", "ая", "ую", "ого", "ому", "ом", "ым", "ые", "ых", "ей", "ье", "ья", "ью", "ьего", "ьем", "ьей", "ьи",
    ]

    /// 第三次 … 巡航: 第, a number, 次 or 轮, then within a few characters 巡航 or 巡逻.
    private static func chineseNumber(in text: String) -> Int? {
        guard text.contains("第") else { return nil }
        let characters = Array(text)
        for (index, character) in characters.enumerated() where character == "第" {
            var end = index + 1
            while end < characters.count, ChineseNumerals.digit(characters[end]) != nil { end += 1 }
            guard end > index + 1, end < characters.count, characters[end] == "次" || characters[end] == "轮" || characters[end] == "輪",
                  let number = ChineseNumerals.value(characters[(index + 1)..<end]), number >= 2 else { continue }
            let after = String(characters[(end + 1)..<min(characters.count, end + 1 + chineseCharactersBetween + 2)])
            if after.contains("巡航") || after.contains("巡逻") || after.contains("巡邏") { return number }
        }
        return nil
    }

    /// 联合空中战略: six characters between 次 and 巡航.
    static let chineseCharactersBetween = 8
}
