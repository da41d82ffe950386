{{> rust/poison}}
