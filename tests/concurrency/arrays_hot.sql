-- Lost-update probe: five hot developers each get links to fresh projects, one per transaction,
-- while arrays.sh's other clients write around them. Every link added must be in the arrays.
\set h random(1, 5)
SELECT habtm.add('developers', 'projects', :h, ARRAY[nextval('hot_links')::int]);
