import Dispatch
import Foundation
import Synchronization

/// `transform` of every element, computed on every core and returned in the elements' order.
/// `transform` must be safe to call from several threads at once.
///
/// `first`, when given, is run by one worker before it takes elements: work that must stay on
/// one thread (the lookups and inserts of the batch before) overlaps this batch's. Elements
/// are handed out one at a time, so that worker joins in as soon as it is done, and items of
/// uneven cost spread evenly.
package func concurrentMap<Element: Sendable, Result>(
    _ elements: [Element], workers: Int = ProcessInfo.processInfo.activeProcessorCount,
    after first: () -> Void = {}, _ transform: @Sendable (Element) -> Result
) -> [Result] {
    let workers = max(1, min(elements.count, workers))
    var results = [Result?](repeating: nil, count: elements.count)
    let next = Atomic<Int>(0)
    withoutActuallyEscaping(first) { first in
        let prelude = Prelude(run: first)
        // Elements lent through the array's buffer: subscripting the array copied each one
        // (an item's six strings retained and released, their counts on lines no other
        // work touches).
        elements.withUnsafeBufferPointer { elements in
            results.withUnsafeMutableBufferPointer { buffer in
                let slots = DisjointSlots(buffer: buffer)
                let elements = SharedElements(buffer: elements)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    if worker == 0 { prelude.run() }
                    while true {
                        let index = next.add(1, ordering: .relaxed).oldValue
                        guard index < elements.buffer.count else { return }
                        slots.buffer[index] = transform(elements.buffer[index])
                    }
                }
            }
        }
    }
    return results.map { $0! }
}

/// The slots of a result buffer that concurrent workers fill. `@unchecked Sendable`: each index
/// is handed to exactly one worker (the atomic counter), and the buffer is read only after
/// `concurrentPerform` returns, which waits for every worker.
private struct DisjointSlots<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
}

/// The elements `concurrentMap` reads. `@unchecked Sendable`: the elements are `Sendable` and
/// only read, and the buffer outlives `concurrentPerform`, which waits for every worker.
private struct SharedElements<Element: Sendable>: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<Element>
}

/// The work `concurrentMap` runs first. `@unchecked Sendable`: it is run once, by worker 0,
/// and whatever it touches is touched by its caller again only after `concurrentPerform` has
/// returned, which waits for every worker.
private struct Prelude: @unchecked Sendable {
    let run: () -> Void
}
