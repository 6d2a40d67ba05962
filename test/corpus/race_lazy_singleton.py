"""Lazy initialisation of a singleton without a lock."""
import threading


class Config:
    _instance = None

    @classmethod
    def get(cls):
        if cls._instance is None:  # RACE
            cls._instance = Config()  # RACE
        return cls._instance  # RACE


ts = [threading.Thread(target=Config.get) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
