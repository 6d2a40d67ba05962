"""_thread.start_new_thread and _thread.allocate_lock give happens-before edges: the value
written before the start is seen by the child, and the child's write is ordered before the
parent's read by the raw lock it releases."""
import _thread


class Box:
    value = 0


box = Box()
done = _thread.allocate_lock()
done.acquire()


def child():
    box.value = box.value + 1
    done.release()


box.value = 41
_thread.start_new_thread(child, ())
done.acquire()
print(box.value)
