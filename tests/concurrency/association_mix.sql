-- One pgbench transaction: add, remove or replace, from either side of developers_projects,
-- on random owners and overlapping target sets. Run by tests/concurrency/run.sh.
\set d random(1, 20)
\set p random(1, 50)
\set a random(1, 50)
\set b random(1, 50)
\set x random(1, 20)
\set y random(1, 20)
\set op random(1, 6)
SELECT CASE :op WHEN 1 THEN habtm.add('developers', 'projects', :d, ARRAY[:a, :b])
                WHEN 2 THEN habtm.remove('developers', 'projects', :d, ARRAY[:b, :a])
                WHEN 3 THEN habtm.replace('developers', 'projects', :d, ARRAY(SELECT generate_series(least(:a, :b), greatest(:a, :b))))
                WHEN 4 THEN habtm.add('projects', 'developers', :p, ARRAY[:x, :y])
                WHEN 5 THEN habtm.remove('projects', 'developers', :p, ARRAY[:y, :x])
                ELSE habtm.replace('projects', 'developers', :p, ARRAY(SELECT generate_series(least(:x, :y), greatest(:x, :y)))) END;
