"""Memory overhead per cached object of a running udn cache: loads N distinct 1 KiB objects
(/obj/1k?i=N, the origin ignores the query), then compares the process's RSS growth with the
bytes the objects themselves take (body + the response head the cache stores)."""
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
    count = 20000
    connection = http.client.HTTPConnection(host, port, timeout=10)

    def get(i):
        connection.request("GET", f"/obj/1k?i={i}", headers={"Host": host})
        response = connection.getresponse()
        body = response.read()
        return response, body

    response, body = get(-1)
    head_bytes = len("HTTP/1.1 200 OK\r\n") + sum(len(k) + len(v) + 4 for k, v in response.getheaders()
                                                  if k.lower() not in ("age", "cache-status", "content-length", "connection"))
    for i in range(1000):  # warm allocator pools
        get(1_000_000 + i)
    before = rss_bytes(pid)
    for i in range(count):
        get(i)
    after = rss_bytes(pid)
    per_object = (after - before) / count
    payload = len(body) + head_bytes
    print(f"memory: {count} objects of {len(body)} B body + ~{head_bytes} B stored head: "
          f"RSS +{(after - before) / 1e6:.1f} MB = {per_object:.0f} B/object, overhead {per_object - payload:.0f} B/object")


main()
