import Foundation

/// One token of analysed text.
public struct Token: Sendable, Equatable {
    /// The stemmed, folded form rules and the index match on ("drills" → "drill").
    public var term: String
    /// The folded form before stemming, for prefix wildcards ("exercis*").
    public var surface: String
    /// The word as written, for explanations.
    public var original: String
    public var position: Int
    public var isStopWord: Bool
}

/// Turns text into tokens the same way for the corpus, the items and the rules:
///
/// 1. Unicode NFKC, then full case folding (Cyrillic included) with `ё` read as `е`, as
///    Russian print often does;
/// 2. words are runs of letters and digits (an apostrophe inside a word stays: "China's");
///    hyphens and slashes separate, so `Northern/Interaction-2023` is three consecutive tokens
///    and a phrase query `"northern interaction 2023"` finds it;
/// 3. Chinese, Japanese and Korean runs become overlapping character bigrams (中俄联合 →
///    中俄 俄联 联合), the usual way to index text without word boundaries;
/// 4. Latin words are stemmed with Snowball's English stemmer, Cyrillic words with its Russian
///    one (учения and учений → учен); stop words are kept in position, but flagged.
///
/// An analyzer caches stems and owns C stemmers: use one per thread.
public final class Analyzer {
    private let english: Stemmer
    private let russian: Stemmer
    private var stemCache: [String: String] = [:]

    public init() {
        guard let english = Stemmer(language: "english"), let russian = Stemmer(language: "russian") else {
            preconditionFailure("libstemmer lacks the english or russian algorithm")
        }
        self.english = english
        self.russian = russian
    }

    /// Tokens of `text`, numbered from `startPosition`.
    public func analyze(_ text: String, startPosition: Int = 0) -> [Token] {
        var tokens: [Token] = []
        var position = startPosition
        let normalized = Self.isASCII(text) ? text : text.precomposedStringWithCompatibilityMapping
        var word = String.UnicodeScalarView()
        var cjk: [Unicode.Scalar] = []

        func flushWord() {
            guard !word.isEmpty else { return }
            // Trailing apostrophes are punctuation, not part of the word.
            while let last = word.last, last == "'" || last == "\u{2019}" { word.removeLast() }
            if !word.isEmpty {
                let original = String(word)
                let surface = Self.fold(original)
                let term = stem(surface)
                tokens.append(Token(term: term, surface: surface, original: original, position: position,
                                    isStopWord: StopWords.contains(surface)))
                position += 1
            }
            word = String.UnicodeScalarView()
        }
        func flushCJK() {
            guard !cjk.isEmpty else { return }
            if cjk.count == 1 {
                let text = String(String.UnicodeScalarView(cjk))
                tokens.append(Token(term: text, surface: text, original: text, position: position, isStopWord: false))
                position += 1
            } else {
                for index in 0..<(cjk.count - 1) {
                    let text = String(String.UnicodeScalarView(cjk[index...(index + 1)]))
                    tokens.append(Token(term: text, surface: text, original: text, position: position, isStopWord: false))
                    position += 1
                }
            }
            cjk.removeAll()
        }

        for scalar in normalized.unicodeScalars {
            if Self.isCJK(scalar) {
                flushWord()
                cjk.append(scalar)
                continue
            }
            flushCJK()
            if Self.isWordScalar(scalar) {
                word.append(scalar)
            } else if (scalar == "'" || scalar == "\u{2019}"), !word.isEmpty {
                word.append("'")
            } else {
                flushWord()
            }
        }
        flushWord()
        flushCJK()
        return tokens
    }

    /// Stems one folded word with the stemmer of its script.
    public func stem(_ surface: String) -> String {
        if let cached = stemCache[surface] { return cached }
        var hasLatin = false, hasCyrillic = false
        for scalar in surface.unicodeScalars {
            if (0x0400...0x04FF).contains(scalar.value) { hasCyrillic = true } else if scalar.properties.isAlphabetic { hasLatin = true }
        }
        let stem: String
        if hasCyrillic && !hasLatin {
            stem = russian.stem(surface)
        } else if hasLatin && !hasCyrillic {
            stem = english.stem(surface)
        } else {
            stem = surface
        }
        if stemCache.count > 200_000 { stemCache.removeAll(keepingCapacity: true) }
        stemCache[surface] = stem
        return stem
    }

    /// Full case folding for matching: lower case, `ß` → `ss`, final sigma → sigma, `ё` → `е`,
    /// typographic apostrophe → `'`.
    public static func fold(_ text: String) -> String {
        if isASCII(text) { return text.lowercased() }
        var out = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars {
            switch scalar {
            case "ß": out.append("s"); out.append("s")
            case "ς": out.append("σ")
            case "ё": out.append("е")
            case "\u{2019}": out.append("'")
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    static func isASCII(_ text: String) -> Bool { text.utf8.allSatisfy { $0 < 0x80 } }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 {
            let v = scalar.value
            return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
        }
        let properties = scalar.properties
        return properties.isAlphabetic || properties.numericType == .decimal
            || properties.generalCategory == .nonspacingMark || properties.generalCategory == .spacingMark
    }

    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x3040...0x30FF).contains(v)
            || (0xAC00...0xD7AF).contains(v) || (0xF900...0xFAFF).contains(v)
    }
}

/// Function words that carry no topic, in English and Russian. They keep their positions (so
/// phrases such as "Sea of Japan" match) but are left out of similarity vectors.
enum StopWords {
    static func contains(_ folded: String) -> Bool { words.contains(folded) }

    private static let words: Set<String> = Set(("a about above after again against all also am an and any are as at be because been "
        + "before being below between both but by can could did do does doing down during each few for from further had has "
        + "have having he her here hers herself him himself his how i if in into is it its itself just me more most my "
        + "myself no nor not now of off on once only or other our ours ourselves out over own same she should so some "
        + "such than that the their theirs them themselves then there these they this those through to too under until "
        + "up very was we were what when where which while who whom why will with would you your yours yourself "
        + "yourselves said says say according its it's would also one two new us mr ms "
        + "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от "
        + "меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж "
        + "вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто "
        + "чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой "
        + "тем чтобы нее сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот "
        + "через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть "
        + "том нельзя такой им более всегда конечно всю между также это")
        .split(separator: " ").map(String.init))
}
