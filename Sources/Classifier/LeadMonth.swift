/// The month of the first day-and-month a report's lead gives ("on 21 August", "August 21",
/// «21 августа», 8月21日, 八月二十一日): for a report without a publication date, the season
/// of what it tells. Years are not read: a lead rarely writes one, and a day with its month
/// is what tells two phases or two patrols of one year apart.
enum LeadMonth {
    /// How much of the body counts as the lead, in characters.
    static let leadLength = 600

    static func month(title: String, body: String) -> Int? {
        month(in: title) ?? month(in: String(body.prefix(leadLength)))
    }

    static func month(in text: String) -> Int? {
        let words = text.split { !$0.isLetter && !$0.isNumber }
        for (index, word) in words.enumerated() {
            if let month = chineseMonth(word) { return month }
            if isDay(word) {
                // 21 August, 21 августа
                if index + 1 < words.count, let month = monthName(words[index + 1]) { return month }
            } else if let month = monthName(word), index + 1 < words.count, isDay(words[index + 1]) {
                // August 21
                return month
            }
        }
        return nil
    }

    private static func isDay(_ word: Substring) -> Bool {
        guard word.count <= 2, let day = Int(word) else { return false }
        return (1...31).contains(day)
    }

    /// A month's name: English ones only with a capital ("may" is also a verb), Russian ones in
    /// the genitive that follows a day.
    private static func monthName(_ word: Substring) -> Int? {
        guard let first = word.first, !first.isASCII || first.isUppercase else { return nil }
        return names[word.lowercased()]
    }

    private static let names: [String: Int] = {
        var names: [String: Int] = [:]
        let english = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                       "november", "december"]
        let short = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let russian = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
                       "ноября", "декабря"]
        for month in 0..<12 {
            names[english[month]] = month + 1
            names[short[month]] = month + 1
            names[russian[month]] = month + 1
        }
        names["sept"] = 9
        return names
    }()

    /// `8月21日`, `八月二十一日`, `12月3号`: a month number, 月, a day number, 日 or 号. Words
    /// here are runs of letters and digits, so one such date may sit inside a longer run.
    private static func chineseMonth(_ word: Substring) -> Int? {
        guard word.contains("月") else { return nil }  // before an array is made of every word
        let characters = Array(word)
        for (index, character) in characters.enumerated() where character == "月" {
            var start = index
            while start > 0, number(characters[start - 1]) != nil { start -= 1 }
            var end = index + 1
            while end < characters.count, number(characters[end]) != nil { end += 1 }
            guard start < index, end > index + 1, end < characters.count, characters[end] == "日" || characters[end] == "号" || characters[end] == "號",
                  let month = value(characters[start..<index]), (1...12).contains(month),
                  let day = value(characters[(index + 1)..<end]), (1...31).contains(day)
            else { continue }
            return month
        }
        return nil
    }

    private static func number(_ character: Character) -> Int? { ChineseNumerals.digit(character) }

    private static func value(_ characters: ArraySlice<Character>) -> Int? { ChineseNumerals.value(characters) }
}

/// Numbers as Chinese dates and counts write them: ASCII digits or 一 to 十.
enum ChineseNumerals {
    static func digit(_ character: Character) -> Int? {
        if let digit = character.wholeNumberValue, character.isASCII { return digit }
        return numerals[character]
    }

    private static let numerals: [Character: Int] = [
        "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
    ]

    /// The value of ASCII digits ("21") or of Chinese numerals up to 99 ("二十一", "十二").
    static func value(_ characters: ArraySlice<Character>) -> Int? {
        guard !characters.isEmpty, characters.count <= 3 else { return nil }
        if characters.allSatisfy({ $0.isASCII }) { return Int(String(characters)) }
        var total = 0
        var current = 0
        for character in characters {
            guard let n = numerals[character] else { return nil }
            if n == 10 {
                total += (current == 0 ? 1 : current) * 10
                current = 0
            } else {
                current = n
            }
        }
        return total + current
    }
}
