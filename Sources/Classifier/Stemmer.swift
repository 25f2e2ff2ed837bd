import CStemmer

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
