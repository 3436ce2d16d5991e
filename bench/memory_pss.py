"""Memory of a group of processes (a server's master and workers), two ways:

- smaps_rollup(pid): the kernel's figures (Pss, Pss_Anon, Rss...), where a
  page's cost is split among ALL processes mapping it, so other programs on
  the machine that map the same libraries (libpython, libstdc++...) lower it,
  and change it from one moment to the next;
- group_pss(pids): PSS counted among `pids` only, from /proc/PID/pagemap:
  each physical page present in any of them is split among those of them
  that map it. Their sum is the number of distinct pages the group holds.
  It needs root to see page frame numbers; without, it returns None.

    group_pss([master] + workers)  ->  {pid: KiB}

Used by bench/memory; not a program of its own.
"""
import array
import ctypes
import mmap
import os

PAGE = os.sysconf("SC_PAGE_SIZE")
PFN_MASK = (1 << 55) - 1
PRESENT = 1 << 63
SKIPPED = ("[vvar", "[vsyscall]")  # kernel pages with no struct page, not in Rss


def smaps_rollup(pid):
    """The kB fields of /proc/PID/smaps_rollup (Pss, Pss_Anon, Rss...)."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            name, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[name] = int(value.split()[0])
    if "Pss" not in fields:
        raise RuntimeError(f"no Pss line in /proc/{pid}/smaps_rollup")
    return fields


def _frames(pid):
    """The page frame numbers of the pages present in `pid`'s memory."""
    frames = set()
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for line in maps:
            fields = line.split()
            if len(fields) > 5 and fields[5].startswith(SKIPPED):
                continue
            start, end = (int(address, 16) for address in fields[0].split("-"))
            pagemap.seek(start // PAGE * 8)
            entries = array.array("Q")
            entries.frombytes(pagemap.read((end - start) // PAGE * 8))
            frames.update(entry & PFN_MASK for entry in entries if entry & PRESENT)
    return frames


def _zero_page_frame():
    """The frame of the kernel's shared zero page, which read faults on
    untouched anonymous memory map and which Rss and Pss do not count."""
    page = mmap.mmap(-1, PAGE)
    page[0]  # a read fault maps the zero page
    address = ctypes.addressof(ctypes.c_char.from_buffer(page))
    with open("/proc/self/pagemap", "rb") as pagemap:
        pagemap.seek(address // PAGE * 8)
        entry = int.from_bytes(pagemap.read(8), "little")
    return entry & PFN_MASK if entry & PRESENT else None


def group_pss(pids):
    """{pid: KiB} of PSS among `pids` only, or None if frames are hidden."""
    frames = {pid: _frames(pid) for pid in pids}
    zero = _zero_page_frame()
    for pid_frames in frames.values():
        pid_frames.discard(zero)
    if all(pid_frames <= {0} for pid_frames in frames.values()):
        return None  # not root: pagemap shows every frame as 0
    sharers = {}
    for pid_frames in frames.values():
        for frame in pid_frames:
            sharers[frame] = sharers.get(frame, 0) + 1
    return {pid: round(sum(1 / sharers[frame] for frame in pid_frames) * PAGE / 1024)
            for pid, pid_frames in frames.items()}
