"""Attribute-heavy object simulation: particles bouncing in a box, each thread its own particles."""
from _harness import run


class Particle:
    def __init__(self, i: int) -> None:
        self.x = float(i % 97)
        self.y = float(i % 89)
        self.vx = 1.0 + (i % 7) * 0.25
        self.vy = 0.5 + (i % 5) * 0.5
        self.bounces = 0

    def step(self) -> None:
        self.x += self.vx
        self.y += self.vy
        if self.x < 0 or self.x > 100:
            self.vx = -self.vx
            self.bounces += 1
        if self.y < 0 or self.y > 100:
            self.vy = -self.vy
            self.bounces += 1


def work(first: int, count: int) -> int:
    particles = [Particle(first + i) for i in range(200)]
    for _ in range(count):
        for p in particles:
            p.step()
    return sum(p.bounces for p in particles)


if __name__ == "__main__":
    run(work, 10000)
