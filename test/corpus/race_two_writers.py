"""Two unordered writes to the same attribute."""
import threading


class Settings:
    mode = None


cfg = Settings()


def set_fast():
    cfg.mode = "fast"  # RACE


t = threading.Thread(target=set_fast)
t.start()
cfg.mode = "safe"  # RACE
t.join()
