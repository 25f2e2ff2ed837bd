import CStemmer
import Locking

/// Owns one Snowball stemmer (`struct sb_stemmer *`). A stemmer keeps its working buffer
/// inside the handle, so an instance must not be shared between threads.
final class Stemmer {
    private let handle: OpaquePointer

    /// nil when libstemmer has no algorithm of that name.
    init?(language: String) {
        guard let handle = sb_stemmer_new(language, "UTF_8") else { return nil }
        self.handle = handle
    }

    deinit { sb_stemmer_delete(handle) }

    func stem(_ word: String) -> String {
        var utf8 = Array(word.utf8)
        return utf8.withUnsafeMutableBufferPointer { buffer -> String in
            // libstemmer: "The returned pointer must not be freed, and is only valid until the
            // next call to sb_stemmer_stem() or sb_stemmer_delete()" — so copy it at once.
            guard let result = sb_stemmer_stem(handle, buffer.baseAddress, Int32(buffer.count)) else { return word }
            let length = Int(sb_stemmer_length(handle))
            return String(decoding: UnsafeBufferPointer(start: result, count: length), as: UTF8.self)
        }
    }
}

/// English and Russian stemmers lent to one caller at a time, so that words can be stemmed
/// on several threads at once (the analyzer stems new words outside its lexicon's lock). A
/// pair is made when every one is out on loan: as many pairs as threads ever stemmed at once.
final class StemmerPool: Sendable {
    /// `@unchecked Sendable`: a pair is either in the pool or lent to one `withPair` call,
    /// never both, so no two threads use its stemmers at once.
    struct Pair: @unchecked Sendable {
        let english: Stemmer
        let russian: Stemmer

        init() {
            guard let english = Stemmer(language: "english"), let russian = Stemmer(language: "russian") else {
                preconditionFailure("libstemmer lacks the english or russian algorithm")
            }
            self.english = english
            self.russian = russian
        }
    }

    private let spare: Locked<[Pair]>

    /// Makes the first pair at once, so that a broken libstemmer fails here.
    init() { spare = Locked([Pair()]) }

    func withPair<Result>(_ body: (Pair) -> Result) -> Result {
        let pair = spare.withLock { $0.popLast() } ?? Pair()
        defer { spare.withLock { $0.append(pair) } }
        return body(pair)
    }
}
