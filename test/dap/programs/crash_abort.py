"""Dies of SIGABRT while a worker thread is busy."""
import os
import threading
import time

threading.Thread(target=lambda: time.sleep(60), name="sleeper", daemon=True).start()
print("about to abort", flush=True)
os.abort()
