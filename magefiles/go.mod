module github.com/logplug/logplug/magefiles

go 1.26.8

require github.com/magefile/mage v1.17.2

tool github.com/magefile/mage
