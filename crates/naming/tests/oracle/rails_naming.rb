# Prints what real Rails answers for each input line (a JSON string, or a JSON pair for the
# join-table name): one JSON array per line. Used by tests/differential.rs as the oracle.
require "json"
require "active_support"
require "active_support/inflector"

I = ActiveSupport::Inflector
$stdout.sync = false

def foreign_key(table)
  last = table.split(".").last
  last && "#{last.singularize}_id"
end

def join_table_name(a, b)
  # Rails 7.1+ ActiveRecord::ModelSchema.derive_join_table_name
  [a, b].sort.join("\0").gsub(/^(.*[_.])(.+)\0\1(.+)/, '\1\2_\3').tr("\0", "_")
end

puts JSON.generate(ActiveSupport::VERSION::STRING)
$stdin.each_line do |line|
  word, other = JSON.parse(line)
  puts JSON.generate([
    I.singularize(word), I.pluralize(word), I.classify(word), I.tableize(word),
    foreign_key(word), join_table_name(word, other)
  ])
end
