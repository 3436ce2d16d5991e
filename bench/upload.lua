-- bench/upload.lua: makes wrk POST a 1 MiB body (wrk adds Content-Length).
-- Used by bench/throughput.py for the upload case:
--   wrk -t 2 -c 8 -d 3s --latency -s bench/upload.lua http://127.0.0.1:PORT/upload
wrk.method = "POST"
wrk.body = string.rep("x", 1048576)
wrk.headers["Content-Type"] = "application/octet-stream"
