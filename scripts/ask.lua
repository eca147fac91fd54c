-- wrk script: POST /ask with the load test's eight questions in turn (scripts/workers_bench.sh)
local qs = {"How many soldiers were killed at Mondoro?", "Who led the raid on Dioura?", "What did JNIM claim about the Kwala attack?",
 "When did the Sokolo attack happen?", "How many civilians were killed at Sokolo?", "Why did JNIM say it attacked the Kati military base?",
 "What is the boiling point of mercury?", "Which attack killed the most Malian soldiers?"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/ask", {["Content-Type"] = "application/json"}, '{"question": "' .. qs[(i % #qs) + 1] .. '"}')
end
