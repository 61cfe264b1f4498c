"""Memory overhead per cached object of a running udn cache, as a slope: loads distinct 1 KiB
objects (/obj/1k?i=N; the origin ignores the query) in two rounds and divides the RSS growth
between the end of the first round and the end of the second by the objects stored in between,
then subtracts what each object itself is (body + the response head the cache stores). The
slope leaves out what does not grow with the objects (allocator pools, buffers touched once,
the index's first pages), which made a single before/after reading of 20,000 objects come out
below the payload."""
import http.client
import sys


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def main():
    host, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    first, second = (int(sys.argv[4]), int(sys.argv[5])) if len(sys.argv) > 5 else (20000, 100000)
    connection = http.client.HTTPConnection(host, port, timeout=10)

    def get(i):
        connection.request("GET", f"/obj/1k?i={i}", headers={"Host": host})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET /obj/1k?i={i}: {response.status}")
        return response, body

    response, body = get(-1)
    head_bytes = len("HTTP/1.1 200 OK\r\n") + sum(len(k) + len(v) + 4 for k, v in response.getheaders()
                                                  if k.lower() not in ("age", "cache-status", "content-length", "connection"))
    for i in range(first):
        get(i)
    middle = rss_bytes(pid)
    for i in range(first, first + second):
        get(i)
    after = rss_bytes(pid)
    per_object = (after - middle) / second
    payload = len(body) + head_bytes
    print(f"memory: objects {first}..{first + second} of {len(body)} B body + ~{head_bytes} B stored head: "
          f"RSS +{(after - middle) / 1e6:.1f} MB = {per_object:.0f} B/object, overhead {per_object - payload:.0f} B/object")


main()
