"""The race is in a module the program imports from its own directory."""
import threading

from _corpus_inventory import Inventory

inv = Inventory()
ts = [threading.Thread(target=inv.take) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
