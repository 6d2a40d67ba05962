"""What the main thread wrote before submit() is visible to the task."""
from concurrent.futures import ThreadPoolExecutor


class Config:
    pass


cfg = Config()
cfg.name = "prod"


def read():
    return cfg.name


with ThreadPoolExecutor(max_workers=1) as ex:
    print(ex.submit(read).result())
