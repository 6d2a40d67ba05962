"""Dict/list-heavy text processing: tokenise generated sentences, count words and bigrams."""
from _harness import run

WORDS = ("free threaded python runs many threads at once without the global interpreter lock "
         "so data races lost updates and half published objects become real bugs to find").split()


def work(first: int, count: int) -> int:
    counts: dict[str, int] = {}
    bigrams: dict[tuple[str, str], int] = {}
    for s in range(first, first + count):
        sentence = [WORDS[(s * 7 + k * 13) % len(WORDS)] for k in range(12)]
        line = " ".join(sentence).upper().lower()
        tokens = line.split()
        for w in tokens:
            counts[w] = counts.get(w, 0) + 1
        for a, b in zip(tokens, tokens[1:]):
            bigrams[(a, b)] = bigrams.get((a, b), 0) + 1
    return len(bigrams) * 1000 + sum(counts.values())


if __name__ == "__main__":
    run(work, 100000)
